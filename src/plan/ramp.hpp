// Ramp: the pure plan of how many users should exist at a given time while moving from one
// user count to another at a spawn rate (Locust 2.12 dispatch.py: each step adds or removes
// max(1, floor(rate)) users, steps are step/rate seconds apart, the first step is immediate).
// Clock-free: times are seconds on the caller's clock (the engine's monotonic clock, or a
// test's virtual time).
#pragma once

#include <cstdint>

namespace loadgen::plan {

struct Ramp {
  std::int64_t from = 0;
  std::int64_t to = 0;
  double rate = 1;     // users per second, > 0
  double start_s = 0;  // the caller's clock, seconds, when the ramp began

  // Users that should exist at time now_s (same clock as start_s).
  std::int64_t desired(double now_s) const;
  // Seconds from start until the ramp reaches `to`.
  double duration_s() const;
  std::int64_t step() const;
};

}  // namespace loadgen::plan
