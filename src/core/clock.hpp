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

// The wall-clock time (ns since the Unix epoch) of `mono`, a mono_ns() reading of this
// thread's current moment: no second clock read per time stamp. The offset between the two
// clocks is read at most once a second per thread, so a step of the wall clock shows within a
// second (slewing moves both clocks alike).
inline std::int64_t wall_ns_at(std::int64_t mono) {
  constexpr std::int64_t kRefreshNs = 1'000'000'000;
  thread_local std::int64_t anchor = 0;  // mono_ns() when the offset was read; 0: never
  thread_local std::int64_t offset = 0;  // wall minus monotonic
  if (anchor == 0 || mono - anchor >= kRefreshNs || mono < anchor) {
    // The wall reading between two monotonic ones, against their midpoint; a pair more than
    // 5 us apart (the thread was preempted between them) is read again, up to 3 times.
    for (int tries = 0; tries < 3; ++tries) {
      const std::int64_t before = mono_ns();
      const std::int64_t wall = wall_ns();
      const std::int64_t after = mono_ns();
      anchor = before + (after - before) / 2;
      offset = wall - anchor;
      if (after - before <= 5'000) break;
    }
  }
  return mono + offset;
}

}  // namespace loadgen::core
