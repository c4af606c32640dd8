#include "scenario/wait_time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "core/strings.hpp"

namespace loadgen::scenario {

std::chrono::nanoseconds WaitTime::next(core::Rng& rng,
                                        std::chrono::nanoseconds since_last_wait) const {
  auto secs = [](double s) {
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(s * 1e9)));
  };
  switch (kind) {
    case Kind::kConstant:
      return secs(a);
    case Kind::kBetween:
      return secs(rng.uniform(a, b));
    case Kind::kConstantPacing:
      return std::max(std::chrono::nanoseconds(0), secs(a) - since_last_wait);
    case Kind::kConstantThroughput:
      return std::max(std::chrono::nanoseconds(0), secs(1.0 / a) - since_last_wait);
  }
  return std::chrono::nanoseconds(0);
}

namespace {

using core::trim_space;

bool parse_number(std::string_view s, double& out) {
  s = trim_space(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

core::Result<WaitTime> parse_wait_time(std::string_view text, std::string_view what) {
  const std::string_view t = trim_space(text);
  auto bad = [&](std::string_view why) {
    return core::make_error("bad_value", fmt::format("{}: '{}' {}", what, text, why),
                            "use constant(S), between(MIN, MAX), constant_pacing(S) or "
                            "constant_throughput(TASKS_PER_S)");
  };
  const auto open = t.find('(');
  if (open == std::string_view::npos || t.back() != ')')
    return bad("is not of the form name(args)");
  const std::string_view name = trim_space(t.substr(0, open));
  std::string_view args = t.substr(open + 1, t.size() - open - 2);
  std::vector<double> nums;
  while (true) {
    const auto comma = args.find(',');
    double v = 0;
    if (!parse_number(args.substr(0, comma), v)) return bad("has an argument that is not a number");
    if (v < 0) return bad("has a negative argument");
    if (v > kMaxWaitSeconds && name != "constant_throughput") {
      return bad(
          fmt::format("has an argument above the maximum wait of {} s (1 day)", kMaxWaitSeconds));
    }
    nums.push_back(v);
    if (comma == std::string_view::npos) break;
    args.remove_prefix(comma + 1);
  }
  if (name == "constant" && nums.size() == 1) return WaitTime::constant(nums[0]);
  if (name == "constant_pacing" && nums.size() == 1) return WaitTime::constant_pacing(nums[0]);
  if (name == "constant_throughput" && nums.size() == 1) {
    if (nums[0] <= 0) return bad("needs a rate above 0");
    if (1.0 / nums[0] > kMaxWaitSeconds) {
      return bad(
          fmt::format("needs a rate of at least 1/{} tasks per second (a wait of at most 1 day)",
                      kMaxWaitSeconds));
    }
    return WaitTime::constant_throughput(nums[0]);
  }
  if (name == "between" && nums.size() == 2) {
    if (nums[0] > nums[1]) return bad("has MIN above MAX");
    return WaitTime::between(nums[0], nums[1]);
  }
  return bad("is not a known wait time with that many arguments");
}

}  // namespace loadgen::scenario
