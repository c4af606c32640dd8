// BatchPipeline<S>: a batching processor (trace/sdk.md "Batching processor", logs/sdk.md
// "Batching processor") and its exporter thread, for one signal S (TraceSignal: spans,
// LogSignal: log records). It pulls finished items from the source into a bounded queue
// (overflow is dropped and counted) when the source says a batch is ready, and at least every
// kPollInterval, and exports them in batches of max_export_batch_size (a partial one once
// schedule_delay has passed), each with the resource and the "loadgen" instrumentation scope, to
// every configured exporter. All exporting runs as coroutines on the thread's own EventLoop,
// so a slow or dead collector costs queue drops, never memory or the load's pace.
// The thread, its loop, the exporters and the orderly end are ExporterThread's, shared with
// MetricsPipeline. Thread: construct, start(), shutdown() from any one owner thread; counters()
// from any thread. S::Source::drain is called on the exporter thread.
// The member definitions are in batch_pipeline_impl.hpp, instantiated in trace_pipeline.cpp and
// log_pipeline.cpp only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/log_sink.hpp"
#include "core/task.hpp"
#include "core/version.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "otel/log_data.hpp"
#include "otel/span_data.hpp"
#include "telemetry/exporter_thread.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry {

inline constexpr std::string_view kScopeName = "loadgen";
inline constexpr std::string_view kScopeVersion = core::kVersion;  // = service.version

// The queue of a pipeline whose items move as they are (S::Item, e.g. log records); the
// exporter thread's. S::Queue is this or a signal's own (TraceSignal's keeps CLIENT spans
// compact): size(), drain_from(source, dropped) (may throw), accept(capacity, dropped),
// take(n, batch), release(batch), clear().
template <class S>
class ItemQueue {
 public:
  std::size_t size() const { return items_.size(); }
  // Drains `source` into a buffer of its own; accept() queues it.
  void drain_from(typename S::Source& source, std::uint64_t& dropped) {
    source.drain(drained_, dropped);
  }
  // Queues what drain_from() got, up to `capacity` items; the rest are dropped and counted.
  void accept(std::size_t capacity, std::uint64_t& dropped) {
    for (auto& item : drained_) {
      if (items_.size() < capacity) {
        items_.push_back(std::move(item));
      } else {
        ++dropped;  // BSP/BLRP: a full queue drops new items
      }
    }
    drained_.clear();
  }
  // Moves the first `n` items (n <= size()) into `batch`, which release() empties after the
  // export.
  void take(std::size_t n, typename S::Batch& batch) {
    auto& slot = S::items(batch);
    slot.clear();
    for (std::size_t i = 0; i < n; ++i) {
      slot.push_back(std::move(items_.front()));
      items_.pop_front();
    }
  }
  void release(typename S::Batch& batch) { S::items(batch).clear(); }
  void clear() { items_.clear(); }

 private:
  std::deque<typename S::Item> items_;
  std::vector<typename S::Item> drained_;
};

// Pipeline settings every signal has (from OTEL_BSP_* / OTEL_BLRP_* and the OTLP config).
struct PipelineConfig {
  otel::BatchConfig batch;
  otel::OtlpExporterConfig otlp;  // for the TLS files of the exporter thread's loop
};

template <class S>
class BatchPipeline : private ExporterThread<typename S::Batch> {
 public:
  using Batch = typename S::Batch;
  using Exporters = ExporterList<Batch>;
  using ExporterFactory = ExporterFactoryOf<Batch>;
  // How often the sources are drained (at most schedule_delay) besides when they say a batch
  // is ready: a full batch goes out within this of being recorded from a source that does not.
  static constexpr std::chrono::milliseconds kPollInterval{100};
  static constexpr std::chrono::milliseconds kMinPollInterval{10};

  struct Counters {
    std::uint64_t exported = 0;        // items accepted by an exporter (summed over exporters)
    std::uint64_t dropped = 0;         // queue full + dropped in the workers' buffers
    std::uint64_t failed_exports = 0;  // export calls that failed (after retries)
    std::uint64_t failed_items = 0;    // items in failed exports, plus partial-success rejects
    std::uint64_t retries = 0;         // export attempts after the first
  };

  BatchPipeline(const PipelineConfig& config, otel::Resource resource, typename S::Source& source,
                core::LogSink* log, ExporterFactory factory);
  ~BatchPipeline();  // shutdown(export_timeout) if still running
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // Starts the exporter thread. Call once.
  void start();
  // Final drain and flush of everything queued, bounded by `deadline` from now; then exporters
  // are shut down and the thread joined. Idempotent; safe without start().
  void shutdown(std::chrono::milliseconds deadline);

  Counters counters() const;
  std::size_t queued() const { return queued_.load(std::memory_order_relaxed); }

 private:
  using Thread = ExporterThread<typename S::Batch>;
  core::Task<void> run() override;
  void on_stop() override;
  core::Task<void> drain_loop();
  core::Task<void> export_loop();
  void drain_once();
  core::Task<void> export_batch(std::size_t n);

  otel::BatchConfig batch_;
  typename S::Source& source_;
  core::LogSink* log_;
  core::RateLimitedWarning warn_;

  // The source's "a batch is ready" calls reach the exporter thread through this (any thread;
  // cleared at shutdown, when the loop goes away).
  struct Waker {
    std::mutex mu;
    net::EventLoop* loop = nullptr;
    std::function<void()> wake;        // run on the loop
    std::atomic<bool> pending{false};  // a wake is posted and the drain has not started yet
  };
  std::shared_ptr<Waker> waker_ = std::make_shared<Waker>();

  // Exporter-thread state.
  typename S::Queue queue_;
  std::vector<Batch> batch_buf_;
  net::Sleeper drain_sleeper_;
  net::Sleeper export_sleeper_;
  bool drain_done_ = false;     // the final drain happened
  bool flush_partial_ = false;  // schedule_delay passed (or the end): export a partial batch too

  std::atomic<std::uint64_t> exported_{0}, dropped_{0}, failed_exports_{0}, failed_items_{0},
      retries_{0};
  std::atomic<std::size_t> queued_{0};
};

}  // namespace loadgen::telemetry
