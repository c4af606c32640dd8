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
#include "engine/runner.hpp"
#include "otel/env_config.hpp"
#include "otel/metric_source.hpp"

namespace loadgen::app {

// CPU utilization of threads between two samples: the CPU time each used divided by the wall
// time between the samples (1.0 = a thread busy all the time). Not thread-safe.
class CpuUtilization {
 public:
  static constexpr std::int64_t kMinWindowNs = 100'000'000;
  // cpu_ns: each thread's CPU time now (-1: unknown); mono_ns: a monotonic clock reading.
  // Returns one figure per thread (-1 when unknown or on the first sample).
  std::vector<double> sample(const std::vector<std::int64_t>& cpu_ns, std::int64_t mono_ns);

 private:
  std::vector<std::int64_t> prev_cpu_;
  std::int64_t prev_mono_ = -1;
};

class AppMetricSource final : public otel::MetricSource {
 public:
  // Counters of the other pipelines (spans/log records dropped, failed exports), read at
  // collection; any may be empty.
  struct Telemetry {
    std::function<std::uint64_t()> spans_dropped, logs_dropped, span_export_failures,
        log_export_failures;
  };
  // The runner's users; the request metrics, user counters and loops of its engine when it
  // has one (a master has none: it exports the run-level figures only).
  AppMetricSource(engine::DrivenRunner& runner, const otel::MetricsConfig& config,
                  Telemetry telemetry, std::uint64_t start_unix_nano);
  void set_target(std::int64_t users) { target_.store(users, std::memory_order_relaxed); }
  // Locust's current RPS and failures/s of the Aggregated row (the main thread computes them
  // from the stats after each collection).
  void set_current_rates(double rps, double fail_per_s) {
    rps_.store(rps, std::memory_order_relaxed);
    fail_per_s_.store(fail_per_s, std::memory_order_relaxed);
  }
  void collect(std::vector<otel::Metric>& out, std::uint64_t now_unix_nano) override;

 private:
  // A cumulative observable counter reported with the preferred temporality (delta: the
  // difference since the previous collection).
  otel::Metric counter(const std::string& name, const std::string& unit, const std::string& desc,
                       std::vector<std::pair<otel::Attributes, double>> values, std::uint64_t now,
                       bool integer);
  otel::Metric updown(const std::string& name, const std::string& unit, const std::string& desc,
                      double value, std::uint64_t now, bool integer);
  static otel::Metric gauge(const std::string& name, const std::string& unit,
                            const std::string& desc,
                            std::vector<std::pair<otel::Attributes, double>> values,
                            std::uint64_t now, bool integer);

  engine::DrivenRunner& runner_;
  engine::Engine* eng_;  // null on a master
  otel::MetricsConfig config_;
  Telemetry telemetry_;
  std::uint64_t start_ns_;
  std::uint64_t last_collect_ns_;
  std::atomic<std::int64_t> target_{0};
  std::atomic<double> rps_{0}, fail_per_s_{0};
  CpuUtilization loop_cpu_;
  CpuUtilization process_cpu_;
  std::map<std::string, double> previous_;  // delta temporality: last cumulative values
};

}  // namespace loadgen::app
