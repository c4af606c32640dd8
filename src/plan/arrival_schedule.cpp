#include "plan/arrival_schedule.hpp"

#include <cmath>
#include <limits>

namespace loadgen::plan {

ArrivalSchedule ArrivalSchedule::constant(double rate) {
  ArrivalSchedule s;
  s.segments_.push_back(Segment{0, std::numeric_limits<double>::infinity(), rate, rate, 0});
  return s;
}

ArrivalSchedule ArrivalSchedule::ramping(const std::vector<Stage>& stages, double start_rate) {
  ArrivalSchedule s;
  double t = 0;
  double count = 0;
  double rate = start_rate;
  for (const Stage& st : stages) {
    if (st.duration_s > 0) {
      s.segments_.push_back(Segment{t, st.duration_s, rate, st.target, count});
      count += (rate + st.target) / 2 * st.duration_s;
      t += st.duration_s;
    }
    rate = st.target;
  }
  s.end_ = t;
  return s;
}

double ArrivalSchedule::rate_at(double t) const {
  for (const Segment& g : segments_) {
    if (t < g.start_s + g.duration_s) {
      if (std::isinf(g.duration_s)) return g.from_rate;
      const double x = std::max(0.0, t - g.start_s);
      return g.from_rate + (g.to_rate - g.from_rate) * x / g.duration_s;
    }
  }
  return 0;
}

double ArrivalSchedule::count_at(double t) const {
  double last = 0;
  for (const Segment& g : segments_) {
    const double x = std::max(0.0, t - g.start_s);
    if (x < g.duration_s) {
      if (std::isinf(g.duration_s)) return g.count_before + g.from_rate * x;
      const double slope = (g.to_rate - g.from_rate) / g.duration_s;
      return g.count_before + g.from_rate * x + slope * x * x / 2;
    }
    last = g.count_before + (g.from_rate + g.to_rate) / 2 * g.duration_s;
  }
  return last;
}

std::optional<double> ArrivalSchedule::due(std::uint64_t n) const {
  const auto want = static_cast<double>(n);
  for (const Segment& g : segments_) {
    if (std::isinf(g.duration_s)) return g.start_s + (want - g.count_before) / g.from_rate;
    const double in_segment = (g.from_rate + g.to_rate) / 2 * g.duration_s;
    const double x = want - g.count_before;
    // Iteration n belongs to the first segment whose integral reaches it (a segment at rate 0
    // reaches nothing: the iteration waits for a later one).
    if (x > in_segment || (x == in_segment && in_segment == 0)) continue;
    // Solve from_rate * s + a * s^2 = x (a = slope / 2) for s in [0, duration]:
    // s = 2x / (from_rate + sqrt(from_rate^2 + 4 a x)), stable for either sign of a.
    const double a = (g.to_rate - g.from_rate) / g.duration_s / 2;
    const double disc = std::max(0.0, g.from_rate * g.from_rate + 4 * a * x);
    const double denom = g.from_rate + std::sqrt(disc);
    const double s = denom > 0 ? 2 * x / denom : 0;
    return g.start_s + std::min(s, g.duration_s);
  }
  return std::nullopt;
}

}  // namespace loadgen::plan
