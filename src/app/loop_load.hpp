// Tells a valid run from one where the generator itself was the bottleneck: samples each
// worker event loop's CPU use every few seconds and, like Locust's "CPU usage above 90%!"
// warning, says so once when a loop is saturated (its requests then wait for the loop, which
// inflates response times and caps the rate), and again in the final summary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "app/app_metrics.hpp"
#include "app/log.hpp"
#include "engine/engine.hpp"

namespace loadgen::app {

class LoopLoadWatch {
 public:
  static constexpr double kIntervalS = 5.0;  // the sampling window
  static constexpr double kThreshold = 0.9;  // a loop busy ≥ 90 % of a window is saturated

  // Takes a sample (main thread); the first call only starts the first window.
  void check(const engine::Engine& eng, Log& log);
  // The same with the workers' CPU times given (-1: unknown) at monotonic time mono_ns.
  void check(const std::vector<std::int64_t>& cpu_ns, std::int64_t mono_ns, Log& log);
  // One line for the run's summary when a loop reached the threshold, else "".
  std::string summary() const;

 private:
  CpuUtilization cpu_;
  double peak_ = 0;
  std::size_t peak_worker_ = 0;
  int windows_ = 0;
  int saturated_windows_ = 0;
  bool warned_ = false;
};

}  // namespace loadgen::app
