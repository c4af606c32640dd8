// ArrivalSchedule: the open model's plan (k6's constant-arrival-rate and ramping-arrival-rate):
// when iteration n is due, in seconds from the start of the run, whether or not earlier ones
// have finished. Iteration n (0-based) is due when the integral of the rate reaches n: at
// n / rate for a constant rate, and through the inverse of the piecewise-quadratic integral
// for stages whose rate moves linearly. Pure and clock-free (tested in virtual time); each
// worker walks its own share (iterations w, w + W, w + 2W, ... of W workers), so no thread
// talks to another per iteration.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "plan/stages.hpp"

namespace loadgen::plan {

class ArrivalSchedule {
 public:
  // `rate` iterations/s (> 0), without end (the run's -t ends it).
  static ArrivalSchedule constant(double rate);
  // k6's ramping-arrival-rate: from `start_rate` (iterations/s), each stage moves the rate
  // linearly to its target over its duration (a stage of 0 s jumps to it); the schedule ends
  // with the last stage.
  static ArrivalSchedule ramping(const std::vector<Stage>& stages, double start_rate = 0);

  // When iteration n is due (seconds from the start), or nullopt when it falls after the end.
  std::optional<double> due(std::uint64_t n) const;
  // The rate (iterations/s) at time t, and the integral of the rate over [0, t].
  double rate_at(double t) const;
  double count_at(double t) const;
  // When the schedule ends (seconds), or nullopt for a constant rate.
  std::optional<double> end_s() const { return end_; }

 private:
  struct Segment {
    double start_s, duration_s;
    double from_rate, to_rate;
    double count_before;  // the integral up to start_s
  };
  std::vector<Segment> segments_;  // a constant rate: one segment of infinite duration
  std::optional<double> end_;
};

}  // namespace loadgen::plan
