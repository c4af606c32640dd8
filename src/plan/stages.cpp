#include "plan/stages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/timespan.hpp"

namespace loadgen::plan {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// A plain decimal number (digits, at most one '.'; no sign, exponent, inf or nan).
std::optional<double> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool digits = false;
  bool dot = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "1m30s" style (Locust's timespan), or one number with a unit (core::parse_duration).
std::optional<double> duration_s(std::string_view s) {
  if (auto d = core::parse_duration(s, "stage")) return static_cast<double>(d->count()) / 1e9;
  if (auto d = core::parse_timespan(s, "stage")) return static_cast<double>(d->count());
  return std::nullopt;
}

// A rate with an optional "/s" or "/m" unit, in iterations per second; nullopt: not a rate.
std::optional<double> rate_per_s(std::string_view s) {
  s = trim(s);
  double scale = 1;
  if (s.ends_with("/s")) {
    s.remove_suffix(2);
  } else if (s.ends_with("/m")) {
    s.remove_suffix(2);
    scale = 1.0 / 60.0;
  }
  const auto v = number(trim(s));
  if (!v) return std::nullopt;
  return *v * scale;
}

constexpr double kMaxUsers = 1e9;  // as -u/--users
// A stage of duration 0 jumps to its target: a ramp this fast starts every user in one step.
constexpr double kInstantRate = kMaxSpawnRate;

}  // namespace

core::Result<std::vector<Stage>> parse_stages(std::string_view text, StageKind kind,
                                              std::string_view origin) {
  const std::string_view form = kind == StageKind::kUsers
                                    ? "DURATION:USERS[:SPAWN_RATE], e.g. 30s:100,1m:100:10,30s:0"
                                    : "DURATION:RATE, RATE in iterations/s (N, N/s or N/m), e.g. "
                                      "10s:50,30s:200";
  std::vector<std::string> problems;
  std::vector<Stage> stages;
  if (trim(text).empty()) {
    return core::make_error("bad_stages", fmt::format("empty (expected {})", form));
  }
  const std::vector<std::string_view> items = split(text, ',');
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string_view item = trim(items[i]);
    const std::string where = fmt::format("stage {} '{}'", i + 1, item);
    if (item.empty()) {
      problems.push_back(fmt::format("stage {} is empty (a stray ',')", i + 1));
      continue;
    }
    const std::vector<std::string_view> f = split(item, ':');
    const std::size_t max_fields = kind == StageKind::kUsers ? 3 : 2;
    if (f.size() < 2) {
      problems.push_back(fmt::format("{}: no target (expected {})", where, form));
      continue;
    }
    if (f.size() > max_fields) {
      problems.push_back(
          kind == StageKind::kArrivalRate && f.size() == 3
              ? fmt::format("{}: arrival-rate stages take no spawn rate (DURATION:RATE)", where)
              : fmt::format("{}: too many ':' fields (expected {})", where, form));
      continue;
    }
    Stage st;
    st.origin = std::string(origin);
    bool ok = true;
    if (const auto d = duration_s(trim(f[0]))) {
      st.duration_s = *d;
    } else {
      problems.push_back(fmt::format("{}: '{}' is not a duration (500ms, 30s, 1.5m, 2h, 1m30s)",
                                     where, trim(f[0])));
      ok = false;
    }
    const std::string_view target = trim(f[1]);
    if (kind == StageKind::kUsers) {
      const auto n = number(target);
      if (!n || *n != std::floor(*n)) {
        problems.push_back(fmt::format("{}: users '{}' is not a whole number >= 0", where, target));
        ok = false;
      } else if (*n > kMaxUsers) {
        problems.push_back(
            fmt::format("{}: users '{}' is out of range (0..1000000000)", where, target));
        ok = false;
      } else {
        st.target = *n;
      }
      if (f.size() == 3) {
        const auto r = number(trim(f[2]));
        if (!r || *r <= 0) {
          problems.push_back(
              fmt::format("{}: spawn rate '{}' is not a number > 0 (users/s)", where, trim(f[2])));
          ok = false;
        } else if (*r > kMaxSpawnRate) {
          problems.push_back(fmt::format("{}: spawn rate '{}' is too high (at most {:g} users/s)",
                                         where, trim(f[2]), kMaxSpawnRate));
          ok = false;
        } else {
          st.spawn_rate = *r;
        }
      }
    } else {
      if (const auto r = rate_per_s(target)) {
        if (const std::string bad = arrival_rate_problem(*r, /*allow_zero=*/true); !bad.empty()) {
          problems.push_back(fmt::format("{}: rate '{}' is {}", where, target, bad));
          ok = false;
        } else {
          st.target = *r;
        }
      } else {
        problems.push_back(fmt::format(
            "{}: rate '{}' is not a number >= 0 (iterations/s: N, N/s or N/m)", where, target));
        ok = false;
      }
    }
    if (ok) stages.push_back(std::move(st));
  }
  if (problems.empty() && total_duration_s(stages) <= 0) {
    problems.push_back("every stage lasts 0 s (the stages must last some time)");
  }
  if (problems.empty() && kind == StageKind::kArrivalRate &&
      total_duration_s(stages) > kMaxArrivalStagesS) {
    problems.push_back(fmt::format("the stages last {:g} s together: at most {:g} s (366 days)",
                                   total_duration_s(stages), kMaxArrivalStagesS));
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
    return core::make_error("bad_stages", std::move(msg));
  }
  return stages;
}

core::Result<double> parse_rate(std::string_view text) {
  const auto r = rate_per_s(text);
  if (!r || *r <= 0) {
    return core::make_error("bad_rate",
                            "not a rate > 0 (iterations per second: N, N/s, or per minute: N/m)");
  }
  if (std::string bad = arrival_rate_problem(*r); !bad.empty()) {
    return core::make_error("bad_rate", std::move(bad));
  }
  return *r;
}

std::string arrival_rate_problem(double rate, bool allow_zero) {
  if (allow_zero && rate == 0) return {};
  if (!std::isfinite(rate) || rate > kMaxArrivalRate) {
    return fmt::format("too high: {:g} iterations/s is above the maximum of {:g}/s", rate,
                       kMaxArrivalRate);
  }
  if (!(rate >= kMinArrivalRate)) {
    return fmt::format("too low: {:g} iterations/s is below the minimum of one a day ({:g}/s)",
                       rate, kMinArrivalRate);
  }
  return {};
}

std::vector<std::string> stage_bound_problems(const std::vector<Stage>& stages, StageKind kind) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Stage& st = stages[i];
    const std::string where =
        fmt::format("stage {}{}", i + 1, st.origin.empty() ? "" : fmt::format(" ({})", st.origin));
    if (kind == StageKind::kArrivalRate) {
      if (std::string bad = arrival_rate_problem(st.target, /*allow_zero=*/true); !bad.empty()) {
        out.push_back(fmt::format("{}: rate {:g} is {}", where, st.target, bad));
      }
    } else if (st.spawn_rate && !(*st.spawn_rate <= kMaxSpawnRate)) {
      out.push_back(fmt::format("{}: spawn rate {:g} is too high (at most {:g} users/s)", where,
                                *st.spawn_rate, kMaxSpawnRate));
    }
  }
  if (kind == StageKind::kArrivalRate && !(total_duration_s(stages) <= kMaxArrivalStagesS)) {
    out.push_back(fmt::format("the arrival stages last {:g} s together: at most {:g} s (366 days)",
                              total_duration_s(stages), kMaxArrivalStagesS));
  }
  return out;
}

double total_duration_s(const std::vector<Stage>& stages) {
  double t = 0;
  for (const auto& s : stages) t += s.duration_s;
  return t;
}

StagesShape::StagesShape(std::vector<Stage> stages) : stages_(std::move(stages)) {}

std::optional<Target> StagesShape::tick(double t) {
  double start = 0;
  double prev = 0;
  double rate = 1;  // of the latest stage that moved (a hold stage keeps it: no new ramp)
  for (const Stage& s : stages_) {
    if (s.spawn_rate) {
      rate = *s.spawn_rate;
    } else if (s.target != prev) {
      rate = s.duration_s > 0 ? std::min(kInstantRate, std::abs(s.target - prev) / s.duration_s)
                              : kInstantRate;
    }
    const double end = start + s.duration_s;
    if (t < end) return Target{static_cast<std::int64_t>(s.target), rate};
    start = end;
    prev = s.target;
  }
  return std::nullopt;
}

}  // namespace loadgen::plan
