// Clocks: monotonic nanoseconds for latency, wall-clock seconds for Locust-style per-second counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace loadgen::core {

using Nanos = std::chrono::nanoseconds;

// Monotonic time in nanoseconds since an arbitrary epoch (CLOCK_MONOTONIC).
inline std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Wall-clock time as seconds since the Unix epoch (double, like Python's time.time()).
inline double wall_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall-clock nanoseconds since the Unix epoch.
inline std::int64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace loadgen::core
