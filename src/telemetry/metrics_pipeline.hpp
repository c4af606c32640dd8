// MetricsPipeline: the periodic exporting metric reader (metrics/sdk.md "Periodic exporting
// MetricReader"): every OTEL_METRIC_EXPORT_INTERVAL it collects from the MetricSource on its
// own thread and exports one batch to every exporter OTEL_METRICS_EXPORTER selects, each
// export bounded by OTEL_METRIC_EXPORT_TIMEOUT; shutdown() collects and exports once more, so
// the final values are never lost. A slow or dead collector delays only this thread. The
// thread, its loop, the exporters and the orderly end are ExporterThread's, as for spans and
// logs. Thread: construct, start(), shutdown() from one owner thread; counters() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/log_sink.hpp"
#include "core/result.hpp"
#include "core/task.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "otel/metric_source.hpp"
#include "telemetry/batch_pipeline.hpp"
#include "telemetry/exporter_thread.hpp"
#include "telemetry/prometheus.hpp"

namespace loadgen::telemetry {

using MetricExporters = ExporterList<otel::ResourceMetrics>;

// kOtlp → OTLP (grpc, http/protobuf, http/json); kOtlpStdout / kOtlpFile → OTLP JSON lines;
// kConsole → OTLP JSON lines on stderr; kPrometheus is the pipeline's /metrics server, not an
// exporter.
MetricExporters make_metric_exporters(const otel::MetricsConfig& config, net::EventLoop& loop,
                                      core::LogSink* log);

class MetricsPipeline : private ExporterThread<otel::ResourceMetrics> {
 public:
  struct Counters {
    std::uint64_t exports = 0;         // collections exported (successfully, summed over exporters)
    std::uint64_t failed_exports = 0;  // export calls that failed (after retries)
    std::uint64_t data_points = 0;     // points in successful exports
  };

  MetricsPipeline(const otel::MetricsConfig& config, otel::Resource resource,
                  otel::MetricSource& source, core::LogSink* log);
  ~MetricsPipeline();
  MetricsPipeline(const MetricsPipeline&) = delete;
  MetricsPipeline& operator=(const MetricsPipeline&) = delete;

  // Starts the thread and the Prometheus server; an error when the server cannot listen (the
  // run cannot offer what was asked for: a start-up error).
  [[nodiscard]] core::Status start();
  // A final collection and export, bounded by `deadline` from now; then the thread ends.
  void shutdown(std::chrono::milliseconds deadline);
  Counters counters() const;
  // True when the Prometheus exporter is on (its server listens; scrape() renders /metrics).
  bool serves_prometheus() const { return prometheus_ != nullptr; }
  // A fresh collection rendered in the Prometheus text format (the /metrics endpoint); runs
  // the collection on the pipeline's thread, waiting at most `timeout`. Thread-safe.
  std::string scrape(std::chrono::milliseconds timeout);

 private:
  core::Task<void> run() override;  // the reader loop
  void on_stop() override;
  core::Task<void> collect_and_export(Clock::time_point deadline);

  otel::MetricsConfig config_;
  otel::MetricSource& source_;
  core::LogSink* log_;
  core::RateLimitedWarning warn_;
  std::vector<otel::ResourceMetrics> batch_;
  std::unique_ptr<PrometheusServer> prometheus_;
  net::Sleeper sleeper_;
  std::atomic<std::uint64_t> exports_{0}, failed_exports_{0}, data_points_{0};
};

}  // namespace loadgen::telemetry
