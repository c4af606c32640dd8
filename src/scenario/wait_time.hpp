// Wait times between a user's tasks, as Locust's user/wait_time.py defines them.
#pragma once

#include <chrono>
#include <string_view>

#include "core/random.hpp"
#include "core/result.hpp"

namespace loadgen::scenario {

// The longest wait a user may be asked for: one day. Longer values are rejected at parse time, so
// the conversion to nanoseconds (int64, ~292 years) can never overflow or wrap to zero.
inline constexpr double kMaxWaitSeconds = 86400.0;

struct WaitTime {
  enum class Kind { kConstant, kBetween, kConstantPacing, kConstantThroughput };
  Kind kind = Kind::kConstant;
  double a = 0;  // seconds (kConstantThroughput: tasks per second)
  double b = 0;

  static WaitTime constant(double s) { return {Kind::kConstant, s, s}; }
  static WaitTime between(double lo, double hi) { return {Kind::kBetween, lo, hi}; }
  static WaitTime constant_pacing(double s) { return {Kind::kConstantPacing, s, s}; }
  static WaitTime constant_throughput(double per_s) {
    return {Kind::kConstantThroughput, per_s, per_s};
  }

  // The wait after a task. `since_last_wait` is the time since the previous wait ended
  // (pacing kinds subtract it: max(0, period - since_last_wait)); the others ignore it.
  bool paced() const { return kind == Kind::kConstantPacing || kind == Kind::kConstantThroughput; }
  std::chrono::nanoseconds next(core::Rng& rng, std::chrono::nanoseconds since_last_wait) const;
};

// "constant(0)", "between(1, 10)", "constant_pacing(2)", "constant_throughput(5)". Every wait (and
// 1 / rate) must lie in [0, kMaxWaitSeconds]; NaN, infinities and negatives are rejected.
core::Result<WaitTime> parse_wait_time(std::string_view text,
                                       std::string_view what = "--wait-time");

}  // namespace loadgen::scenario
