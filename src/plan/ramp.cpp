#include "plan/ramp.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen::plan {

std::int64_t Ramp::step() const {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(rate)));
}

std::int64_t Ramp::desired(double now_s) const {
  if (from == to) return to;
  const std::int64_t s = step();
  const double interval = static_cast<double>(s) / rate;
  const double elapsed = std::max(0.0, now_s - start_s);
  // Small epsilon so that a step due exactly now is not missed through rounding.
  const auto steps = static_cast<std::int64_t>(std::floor(elapsed / interval + 1e-9)) + 1;
  const std::int64_t moved = steps * s;
  if (to > from) return std::min(to, from + moved);
  return std::max(to, from - moved);
}

double Ramp::duration_s() const {
  const std::int64_t distance = to > from ? to - from : from - to;
  if (distance == 0) return 0;
  const std::int64_t s = step();
  const std::int64_t steps = (distance + s - 1) / s;
  return static_cast<double>(steps - 1) * static_cast<double>(s) / rate;
}

}  // namespace loadgen::plan
