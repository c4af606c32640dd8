// Member definitions of BatchPipeline<S> (batch_pipeline.hpp). Included only by the .cpp
// files that instantiate a pipeline (trace_pipeline.cpp, log_pipeline.cpp).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "telemetry/batch_pipeline.hpp"
#include "telemetry/exporter_thread_impl.hpp"

namespace loadgen::telemetry {

template <class S>
BatchPipeline<S>::BatchPipeline(const PipelineConfig& config, otel::Resource resource,
                                typename S::Source& source, core::LogSink* log,
                                ExporterFactory factory)
    : Thread(S::kName, config.otlp, log, std::move(factory)),
      batch_(config.batch),
      source_(source),
      log_(log),
      warn_(log) {
  batch_.max_queue_size = std::max<std::uint32_t>(batch_.max_queue_size, 1);
  batch_.max_export_batch_size =
      std::clamp<std::uint32_t>(batch_.max_export_batch_size, 1, batch_.max_queue_size);
  // One resource and one scope per batch; only the items change between batches.
  otel::InstrumentationScope scope;
  scope.name = std::string(kScopeName);
  scope.version = std::string(kScopeVersion);
  batch_buf_.push_back(S::make_batch(std::move(resource), std::move(scope)));
}

template <class S>
BatchPipeline<S>::~BatchPipeline() {
  shutdown(batch_.export_timeout.count() > 0 ? batch_.export_timeout
                                             : std::chrono::milliseconds(30000));
}

template <class S>
void BatchPipeline<S>::start() {
  if (!this->start_thread()) return;
  if constexpr (requires { source_.on_batch_ready(std::size_t{}, std::function<void()>{}); }) {
    {
      std::lock_guard lk(waker_->mu);
      waker_->loop = this->loop_ptr();
      waker_->wake = [this] { this->loop().wake(drain_sleeper_); };
    }
    source_.on_batch_ready(batch_.max_export_batch_size, [w = waker_] {
      // Workers that fill a batch at about the same time share one wake (and one drain of
      // them all), not one each.
      if (w->pending.exchange(true, std::memory_order_acq_rel)) return;
      std::lock_guard lk(w->mu);
      if (w->loop) w->loop->post(w->wake);
    });
  }
}

template <class S>
core::Task<void> BatchPipeline<S>::run() {
  core::spawn(drain_loop(), [this](std::exception_ptr e) {
    if (e && log_) {
      log_->log(core::LogLevel::kError, fmt::format("{} pipeline: drain loop failed", S::kName));
    }
  });
  co_await export_loop();
}

template <class S>
void BatchPipeline<S>::on_stop() {
  this->loop().wake(drain_sleeper_);
}

template <class S>
void BatchPipeline<S>::shutdown(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lk(waker_->mu);
    waker_->loop = nullptr;  // the stop wakes the drain for the final drain
  }
  this->stop_thread(deadline);
}

template <class S>
typename BatchPipeline<S>::Counters BatchPipeline<S>::counters() const {
  Counters c;
  c.exported = exported_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.failed_exports = failed_exports_.load(std::memory_order_relaxed);
  c.failed_items = failed_items_.load(std::memory_order_relaxed);
  c.retries = retries_.load(std::memory_order_relaxed);
  return c;
}

template <class S>
void BatchPipeline<S>::drain_once() {
  std::uint64_t dropped = 0;
  try {
    queue_.drain_from(source_, dropped);
  } catch (const std::exception& e) {
    warn_.warn("drain", fmt::format("{} pipeline: source failed: {}", S::kName, e.what()),
               core::mono_ns());
  }
  queue_.accept(batch_.max_queue_size, dropped);
  if (dropped) dropped_.fetch_add(dropped, std::memory_order_relaxed);
  queued_.store(queue_.size(), std::memory_order_relaxed);
}

// The batch processors' trigger (trace/sdk.md, logs/sdk.md "Batching processor"): export when
// a full batch (max_export_batch_size) is queued, or when schedule_delay has passed since the
// last export. The workers' buffers are drained when the source says one holds a batch
// (SpanSource::on_batch_ready), and at least every kPollInterval (or schedule_delay if
// shorter), so that a full batch is seen without waiting for the delay: with the defaults
// (5 s, 2048-item queue) waiting would drop everything beyond ~400 items/s; at ~50,000 spans/s
// even the poll would let a worker's buffer overflow.
template <class S>
core::Task<void> BatchPipeline<S>::drain_loop() {
  // OTEL_BSP_SCHEDULE_DELAY=0 ("export at once") polls every 10 ms rather than spinning.
  const auto poll =
      std::clamp<std::chrono::nanoseconds>(batch_.schedule_delay, kMinPollInterval, kPollInterval);
  auto due = Clock::now() + batch_.schedule_delay;
  for (;;) {
    co_await this->loop().sleep(drain_sleeper_, poll);
    waker_->pending.store(false, std::memory_order_release);  // a signal from now on wakes again
    drain_once();  // after a wake by shutdown this is the final drain
    if (this->stopping()) break;
    const bool timer = Clock::now() >= due;
    if (timer) {
      flush_partial_ = true;
      due = Clock::now() + batch_.schedule_delay;
    }
    if ((timer && queue_.size() != 0) || queue_.size() >= batch_.max_export_batch_size)
      this->loop().wake(export_sleeper_);
  }
  drain_done_ = true;
  flush_partial_ = true;
  this->loop().wake(export_sleeper_);
}

template <class S>
core::Task<void> BatchPipeline<S>::export_loop() {
  for (;;) {
    // Full batches as soon as they are queued; the rest when the delay has passed (or at
    // the final flush).
    while (queue_.size() >= batch_.max_export_batch_size ||
           (flush_partial_ && queue_.size() != 0)) {
      if (this->stopping() && Clock::now() >= this->final_deadline()) {
        // Past the shutdown deadline: what is left is dropped, and counted.
        dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
        queue_.clear();
        queued_.store(0, std::memory_order_relaxed);
        break;
      }
      const std::size_t n = std::min<std::size_t>(queue_.size(), batch_.max_export_batch_size);
      queue_.take(n, batch_buf_.front());
      queued_.store(queue_.size(), std::memory_order_relaxed);
      co_await export_batch(n);
      queue_.release(batch_buf_.front());
    }
    if (queue_.size() == 0) flush_partial_ = false;
    if (drain_done_ && (queue_.size() == 0)) break;
    if (drain_done_ && this->stopping() && Clock::now() >= this->final_deadline()) break;
    co_await this->loop().sleep(export_sleeper_, std::chrono::hours(24));
  }
}

template <class S>
core::Task<void> BatchPipeline<S>::export_batch(std::size_t items) {
  auto deadline = batch_.export_timeout.count() > 0 ? Clock::now() + batch_.export_timeout
                                                    : Clock::time_point::max();
  if (this->stopping()) deadline = std::min(deadline, this->final_deadline());
  const std::uint64_t n = items;
  co_await this->export_all(
      batch_buf_, deadline, [this, n](Exporter<Batch>& exporter, const ExportResult& r) {
        if (r.retries) retries_.fetch_add(r.retries, std::memory_order_relaxed);
        if (r.ok()) {
          const auto rejected = static_cast<std::uint64_t>(
              std::clamp<std::int64_t>(r.rejected, 0, static_cast<std::int64_t>(n)));
          exported_.fetch_add(n - rejected, std::memory_order_relaxed);
          if (rejected) failed_items_.fetch_add(rejected, std::memory_order_relaxed);
        } else {
          failed_exports_.fetch_add(1, std::memory_order_relaxed);
          failed_items_.fetch_add(n, std::memory_order_relaxed);
          warn_.warn(exporter.name(),
                     fmt::format("{} export failed ({}, {} {} lost): {}", S::kName, exporter.name(),
                                 n, S::kItems, r.message),
                     core::mono_ns());
        }
      });
}

}  // namespace loadgen::telemetry
