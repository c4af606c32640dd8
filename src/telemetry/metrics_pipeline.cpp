#include "telemetry/metrics_pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "telemetry/exporter_thread_impl.hpp"
#include "telemetry/file_exporter.hpp"
#include "telemetry/otlp_transport.hpp"

namespace loadgen::telemetry {

template class ExporterThread<otel::ResourceMetrics>;

MetricExporters make_metric_exporters(const otel::MetricsConfig& config, net::EventLoop& loop,
                                      core::LogSink* log) {
  MetricExporters out;
  if (config.sdk_disabled) return out;
  for (otel::ExporterKind kind : config.exporters.kinds) {
    switch (kind) {
      case otel::ExporterKind::kOtlp:
        out.push_back(std::make_unique<OtlpMetricExporter>(
            make_otlp_transport(loop, config.otlp, kMetricsCodec, log)));
        break;
      case otel::ExporterKind::kConsole:
        out.push_back(std::make_unique<OtlpFileMetricExporter>(stderr, log));
        break;
      case otel::ExporterKind::kOtlpStdout:
        out.push_back(std::make_unique<OtlpFileMetricExporter>(stdout, log));
        break;
      case otel::ExporterKind::kOtlpFile:
        out.push_back(
            std::make_unique<OtlpFileMetricExporter>(config.exporters.otlp_file_path, log));
        break;
      case otel::ExporterKind::kPrometheus:
        break;  // served by MetricsPipeline (pull)
    }
  }
  return out;
}

MetricsPipeline::MetricsPipeline(const otel::MetricsConfig& config, otel::Resource resource,
                                 otel::MetricSource& source, core::LogSink* log)
    : ExporterThread(
          "metrics", config.otlp, log,
          [config, log](net::EventLoop& loop) { return make_metric_exporters(config, loop, log); }),
      config_(config),
      source_(source),
      log_(log),
      warn_(log) {
  otel::ScopeMetrics sm;
  sm.scope.name = std::string(kScopeName);
  sm.scope.version = std::string(kScopeVersion);
  sm.schema_url = resource.schema_url;
  otel::ResourceMetrics rm;
  rm.resource = std::move(resource);
  rm.scope_metrics.push_back(std::move(sm));
  batch_.push_back(std::move(rm));
}

MetricsPipeline::~MetricsPipeline() { shutdown(config_.export_timeout); }

core::Status MetricsPipeline::start() {
  if (!start_thread()) return core::Ok{};
  const auto& kinds = config_.exporters.kinds;
  if (!config_.sdk_disabled &&
      std::find(kinds.begin(), kinds.end(), otel::ExporterKind::kPrometheus) != kinds.end()) {
    prometheus_ = std::make_unique<PrometheusServer>();
    auto st = prometheus_->start(
        config_.prometheus_host, config_.prometheus_port,
        [this] { return scrape(std::chrono::seconds(5)); }, log_);
    if (!st) {
      prometheus_.reset();
      return core::make_error(st.error().code,
                              fmt::format("Prometheus exporter: {}", st.error().message),
                              "free the port or set OTEL_EXPORTER_PROMETHEUS_PORT to another one");
    }
    if (log_) {
      log_->log(core::LogLevel::kInfo, fmt::format("Prometheus metrics on http://{}:{}/metrics",
                                                   config_.prometheus_host, prometheus_->port()));
    }
  }
  return core::Ok{};
}

std::string MetricsPipeline::scrape(std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto fut = promise->get_future();
  loop_ptr()->post([this, promise] {
    std::vector<otel::Metric> metrics;
    try {
      source_.collect(metrics, static_cast<std::uint64_t>(core::wall_ns()));
      promise->set_value(render_prometheus(batch_.front().resource, metrics));
    } catch (const std::exception& e) {
      promise->set_value(fmt::format("# collection failed: {}\n", e.what()));
    }
  });
  if (fut.wait_for(timeout) != std::future_status::ready) return "# collection timed out\n";
  return fut.get();
}

core::Task<void> MetricsPipeline::run() {
  for (;;) {
    co_await loop().sleep(sleeper_, config_.export_interval);
    if (stopping()) break;
    const auto timeout = config_.export_timeout.count() > 0 ? config_.export_timeout
                                                            : std::chrono::milliseconds(30000);
    co_await collect_and_export(Clock::now() + timeout);
    if (stopping()) break;
  }
  co_await collect_and_export(final_deadline());  // the final values
}

void MetricsPipeline::on_stop() { loop().wake(sleeper_); }

core::Task<void> MetricsPipeline::collect_and_export(Clock::time_point deadline) {
  auto& metrics = batch_.front().scope_metrics.front().metrics;
  metrics.clear();
  try {
    source_.collect(metrics, static_cast<std::uint64_t>(core::wall_ns()));
  } catch (const std::exception& e) {
    warn_.warn("collect", fmt::format("metrics pipeline: collection failed: {}", e.what()),
               core::mono_ns());
  }
  std::uint64_t points = 0;
  for (const auto& m : metrics) points += otel::data_point_count(m);
  co_await export_all(
      batch_, deadline, [this, points](MetricExporter& exporter, const ExportResult& r) {
        if (r.ok()) {
          exports_.fetch_add(1, std::memory_order_relaxed);
          data_points_.fetch_add(points, std::memory_order_relaxed);
        } else {
          failed_exports_.fetch_add(1, std::memory_order_relaxed);
          warn_.warn(exporter.name(),
                     fmt::format("metric export failed ({}, {} data points lost): {}",
                                 exporter.name(), points, r.message),
                     core::mono_ns());
        }
      });
}

void MetricsPipeline::shutdown(std::chrono::milliseconds deadline) {
  if (prometheus_) prometheus_->stop();  // no scrape waits on the loop from here on
  stop_thread(deadline);
}

MetricsPipeline::Counters MetricsPipeline::counters() const {
  return Counters{exports_.load(std::memory_order_relaxed),
                  failed_exports_.load(std::memory_order_relaxed),
                  data_points_.load(std::memory_order_relaxed)};
}

}  // namespace loadgen::telemetry
