// The metrics loadgen exports (docs/metrics.md): http.client.request.duration from the engine,
// the loadgen.* instruments about the run and its telemetry, and the process.* instruments of
// the process semantic conventions. Collected on the metrics thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "otel/env_config.hpp"
#include "otel/metric_source.hpp"

namespace loadgen::app {

class AppMetricSource final : public otel::MetricSource {
 public:
  // Counters of the other pipelines (spans/log records dropped, failed exports), read at
  // collection; any may be empty.
  struct Telemetry {
    std::function<std::uint64_t()> spans_dropped, logs_dropped, span_export_failures,
        log_export_failures;
  };
  AppMetricSource(engine::Engine& eng, const otel::MetricsConfig& config, Telemetry telemetry,
                  std::uint64_t start_unix_nano);
  void set_target(std::int64_t users) { target_.store(users, std::memory_order_relaxed); }
  void collect(std::vector<otel::Metric>& out, std::uint64_t now_unix_nano) override;

 private:
  // A cumulative observable counter reported with the preferred temporality (delta: the
  // difference since the previous collection).
  otel::Metric counter(const std::string& name, const std::string& unit, const std::string& desc,
                       std::vector<std::pair<otel::Attributes, double>> values,
                       std::uint64_t now, bool integer);
  otel::Metric updown(const std::string& name, const std::string& unit, const std::string& desc,
                      double value, std::uint64_t now, bool integer);

  engine::Engine& eng_;
  otel::MetricsConfig config_;
  Telemetry telemetry_;
  std::uint64_t start_ns_;
  std::uint64_t last_collect_ns_;
  std::atomic<std::int64_t> target_{0};
  std::map<std::string, double> previous_;  // delta temporality: last cumulative values
};

}  // namespace loadgen::app
