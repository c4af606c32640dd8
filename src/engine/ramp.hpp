// Ramp: the pure plan of how many users should exist at a given time while moving from one
// user count to another at a spawn rate (Locust 2.12 dispatch.py: each step adds or removes
// max(1, floor(rate)) users, steps are step/rate seconds apart, the first step is immediate).
#pragma once

#include <cstdint>

namespace loadgen::engine {

struct Ramp {
  std::int64_t from = 0;
  std::int64_t to = 0;
  double rate = 1;         // users per second, > 0
  double start_s = 0;      // monotonic seconds when the ramp began

  // Users that should exist at monotonic time now_s.
  std::int64_t desired(double now_s) const;
  // Seconds from start until the ramp reaches `to`.
  double duration_s() const;
  std::int64_t step() const;
};

}  // namespace loadgen::engine
