// ExporterThread<Batch>: the one exporter thread every telemetry pipeline runs on (BatchPipeline
// for spans and logs, MetricsPipeline's periodic reader): its own EventLoop (with the OTLP TLS
// files), the exporters built on that loop, one export of a batch to every exporter, and the
// orderly end: a final export bounded by a deadline, then cancel(), then stop (pipeline_stop).
// A pipeline derives from it and says what the thread does (run()) and how shutdown wakes it
// (on_stop()). Thread: start_thread() and stop_thread() from the owner thread; run(),
// on_stop(), export_all() and the exporters on the exporter thread.
// The member definitions are in exporter_thread_impl.hpp, instantiated with the pipelines.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log_sink.hpp"
#include "core/task.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "telemetry/pipeline_stop.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry {

template <class Batch>
using ExporterList = std::vector<std::unique_ptr<Exporter<Batch>>>;
// Builds the exporters on the exporter thread (they may use its loop). Tests pass their own.
template <class Batch>
using ExporterFactoryOf = std::function<ExporterList<Batch>(net::EventLoop&)>;

template <class Batch>
class ExporterThread {
 public:
  using Exporters = ExporterList<Batch>;
  using ExporterFactory = ExporterFactoryOf<Batch>;

  ExporterThread(const ExporterThread&) = delete;
  ExporterThread& operator=(const ExporterThread&) = delete;

 protected:
  // `name` names the pipeline in logs ("trace", "log", "metrics").
  ExporterThread(std::string_view name, const otel::OtlpExporterConfig& otlp, core::LogSink* log,
                 ExporterFactory factory);
  // The derived destructor calls stop_thread() first (run() and on_stop() are virtual).
  virtual ~ExporterThread() = default;

  // Builds the loop and starts the thread: the exporters, then run(). False if already started.
  bool start_thread();
  // Posts the stop (stopping() becomes true, every exporter gets final_flush(), on_stop() runs)
  // and waits for run() to end until `deadline` from now; past it, cancels the exporters, and
  // a second later stops the loop. Joins the thread. Idempotent; safe without start_thread().
  void stop_thread(std::chrono::milliseconds deadline);

  // Exporter thread: the pipeline's work; when it returns, the exporters are shut down and
  // the thread ends.
  virtual core::Task<void> run() = 0;
  // Exporter thread, once, at the stop: wake what run() sleeps on.
  virtual void on_stop() = 0;

  // Exporter thread: exports `batch` to each exporter in turn (an exception counts as a
  // failure) and calls `each` with each exporter and its result.
  core::Task<void> export_all(
      const std::vector<Batch>& batch, Clock::time_point deadline,
      const std::function<void(Exporter<Batch>&, const ExportResult&)>& each);

  bool started() const { return started_; }
  net::EventLoop& loop() { return *loop_ptr_; }
  // Valid from start_thread() on (an abnormal end leaks the loop rather than free it).
  net::EventLoop* loop_ptr() const { return loop_ptr_; }
  bool stopping() const { return stopping_; }                           // exporter thread
  Clock::time_point final_deadline() const { return final_deadline_; }  // exporter thread

 private:
  void thread_main();
  core::Task<void> main_task();

  core::LogSink* log_;
  std::string_view name_;
  otel::OtlpExporterConfig otlp_;
  ExporterFactory factory_;
  std::unique_ptr<net::EventLoop> loop_;
  net::EventLoop* loop_ptr_ = nullptr;
  std::thread thread_;
  bool started_ = false;
  bool joined_ = false;
  Exporters exporters_;    // exporter thread
  bool stopping_ = false;  // exporter thread, set by the stop
  Clock::time_point final_deadline_{};
  DoneSignal done_;
};

extern template class ExporterThread<otel::ResourceSpans>;
extern template class ExporterThread<otel::ResourceLogs>;
extern template class ExporterThread<otel::ResourceMetrics>;

}  // namespace loadgen::telemetry
