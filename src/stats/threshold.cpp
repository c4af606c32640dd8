// Thresholds: parser and evaluator (see threshold.hpp, docs/thresholds.md).
#include "stats/threshold.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <system_error>

#include "core/strings.hpp"

namespace loadgen::stats {
namespace {

constexpr std::string_view kMetrics =
    "p<percentile> (e.g. p95, p99.9), avg, min, max, median, failure_ratio, rps, fail_rps, count "
    "or failures";

bool is_time(ThresholdMetric m) {
  switch (m) {
    case ThresholdMetric::kPercentile:
    case ThresholdMetric::kAvg:
    case ThresholdMetric::kMin:
    case ThresholdMetric::kMax:
    case ThresholdMetric::kMedian:
      return true;
    case ThresholdMetric::kFailureRatio:
    case ThresholdMetric::kRps:
    case ThresholdMetric::kFailRps:
    case ThresholdMetric::kCount:
    case ThresholdMetric::kFailures:
      return false;
  }
  return false;
}

// A whole decimal number (digits with at most one '.'), nothing else.
std::optional<double> parse_number(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string_view::npos) {
    return std::nullopt;
  }
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "p95", "p99.9", "p(95)" (k6's spelling): the percentile, or a reason.
std::string parse_percentile(std::string_view m, double& out) {
  std::string_view digits = m.substr(1);
  if (digits.size() >= 2 && digits.front() == '(' && digits.back() == ')') {
    digits = digits.substr(1, digits.size() - 2);
  }
  const std::optional<double> p = parse_number(digits);
  if (!p) {
    return fmt::format("unknown metric '{}': a percentile is p followed by a number, e.g. p95", m);
  }
  if (*p <= 0 || *p > 100) {
    return fmt::format("percentile {} out of range: it must be above 0 and at most 100", digits);
  }
  out = *p;
  return {};
}

std::string parse_metric(std::string_view text, Threshold& t) {
  const std::string m = core::ascii_lowercase(text);
  if (m.size() > 1 && m[0] == 'p' &&
      (std::isdigit(static_cast<unsigned char>(m[1])) != 0 || m[1] == '(' || m[1] == '.')) {
    t.metric = ThresholdMetric::kPercentile;
    return parse_percentile(m, t.percentile);
  }
  struct Named {
    std::string_view name;
    ThresholdMetric metric;
  };
  static constexpr Named kNamed[] = {{"avg", ThresholdMetric::kAvg},
                                     {"min", ThresholdMetric::kMin},
                                     {"max", ThresholdMetric::kMax},
                                     {"median", ThresholdMetric::kMedian},
                                     {"failure_ratio", ThresholdMetric::kFailureRatio},
                                     {"rps", ThresholdMetric::kRps},
                                     {"fail_rps", ThresholdMetric::kFailRps},
                                     {"count", ThresholdMetric::kCount},
                                     {"failures", ThresholdMetric::kFailures}};
  for (const Named& n : kNamed) {
    if (m == n.name) {
      t.metric = n.metric;
      return {};
    }
  }
  return fmt::format("unknown metric '{}'; expected {}", text, kMetrics);
}

// The number and unit of a value: "300ms" -> (300, "ms").
std::pair<std::string_view, std::string_view> split_unit(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size() && (std::isdigit(static_cast<unsigned char>(v[i])) != 0 || v[i] == '.' ||
                          (i == 0 && (v[i] == '-' || v[i] == '+')))) {
    ++i;
  }
  return {v.substr(0, i), core::trim_space(v.substr(i))};
}

// A time with a unit (us, µs, ms, s, m) in ms; a bare number is ms when bare_ms, else a reason.
std::string parse_time_ms(std::string_view number, std::string_view unit, bool bare_ms,
                          double& out) {
  const std::optional<double> n = parse_number(number);
  if (!n) return fmt::format("'{}{}' is not a number", number, unit);
  double scale = 0;
  if (unit == "us" || unit == "\u00b5s") {
    scale = 0.001;
  } else if (unit == "ms" || (unit.empty() && bare_ms)) {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60000;
  } else if (unit.empty()) {
    return fmt::format("'{}' needs a unit (e.g. {}s)", number, number);
  } else {
    return fmt::format("unknown time unit '{}' (us, ms, s or m)", unit);
  }
  out = *n * scale;
  return {};
}

std::string parse_limit(std::string_view v, Threshold& t) {
  if (v.empty()) return "no value after the comparison (e.g. p95<300ms)";
  const auto [number, unit] = split_unit(v);
  if (!number.empty() && number.front() == '-') return fmt::format("'{}' is negative", v);
  if (!number.empty() && number.front() == '+') return fmt::format("'{}': drop the '+'", v);
  if (is_time(t.metric)) return parse_time_ms(number, unit, true, t.limit);
  const std::optional<double> n = parse_number(number);
  if (!n) return fmt::format("'{}' is not a number", v);
  switch (t.metric) {
    case ThresholdMetric::kFailureRatio:
      if (unit == "%") {
        t.limit = *n / 100;
      } else if (unit.empty()) {
        t.limit = *n;
      } else {
        return fmt::format("a ratio takes no unit but '%' ('{}')", v);
      }
      if (t.limit > 1) {
        return fmt::format("a failure ratio is at most 1 ('{}'); write 1% for 0.01", v);
      }
      return {};
    case ThresholdMetric::kRps:
    case ThresholdMetric::kFailRps:
      if (!unit.empty() && unit != "/s") {
        return fmt::format("a rate is per second: a number or N/s ('{}')", v);
      }
      t.limit = *n;
      return {};
    case ThresholdMetric::kCount:
    case ThresholdMetric::kFailures:
      if (!unit.empty()) return fmt::format("a count takes no unit ('{}')", v);
      t.limit = *n;
      return {};
    default:
      return {};  // times: above
  }
}

// "abort" or "abort=GRACE" after the '!'.
std::string parse_suffix(std::string_view s, Threshold& t) {
  if (s == "abort") {
    t.abort_on_fail = true;
    return {};
  }
  if (s.starts_with("abort=")) {
    const auto [number, unit] = split_unit(core::trim_space(s.substr(6)));
    double ms = 0;
    if (std::string why = parse_time_ms(number, unit, false, ms); !why.empty()) {
      return "!abort=GRACE: " + why;
    }
    t.abort_on_fail = true;
    t.abort_grace_s = ms / 1000;
    return {};
  }
  return fmt::format("unknown suffix '!{}' (expected !abort or !abort=GRACE, e.g. !abort=30s)", s);
}

bool compare(double observed, ThresholdOp op, double limit) {
  switch (op) {
    case ThresholdOp::kLess:
      return observed < limit;
    case ThresholdOp::kLessEqual:
      return observed <= limit;
    case ThresholdOp::kGreater:
      return observed > limit;
    case ThresholdOp::kGreaterEqual:
      return observed >= limit;
  }
  return false;
}

double metric_of(const Threshold& t, const Entry& e, const Aggregate& a) {
  switch (t.metric) {
    case ThresholdMetric::kPercentile:
      return e.percentile_ms(t.percentile / 100);
    case ThresholdMetric::kAvg:
      return e.avg_response_time_ms();
    case ThresholdMetric::kMin:
      return e.min_response_time_ms();
    case ThresholdMetric::kMax:
      return e.max_response_time_ms();
    case ThresholdMetric::kMedian:
      return e.median_response_time_ms();
    case ThresholdMetric::kFailureRatio:
      return e.fail_ratio();
    case ThresholdMetric::kRps:
      return a.total_rps(e);
    case ThresholdMetric::kFailRps:
      return a.total_fail_per_sec(e);
    case ThresholdMetric::kCount:
      return static_cast<double>(e.num_requests);
    case ThresholdMetric::kFailures:
      return static_cast<double>(e.num_failures);
  }
  return 0;
}

}  // namespace

std::string threshold_problem(std::string_view text, Threshold& out) {
  out = Threshold{};
  const std::string_view t = core::trim_space(text);
  out.expression = std::string(t);
  if (t.empty()) return "empty; expected [NAME:]METRIC OP VALUE, e.g. p95<300ms";
  // Parsed from the right: the comparison is the last '<' or '>' (a value has none), the metric
  // follows the last ':' before it, and whatever precedes that ':' is the request name.
  const std::size_t op_pos = t.find_last_of("<>");
  if (op_pos == std::string_view::npos) {
    return "no comparison: expected METRIC OP VALUE with OP one of <, <=, >, >= (e.g. p95<300ms)";
  }
  std::string_view rhs = t.substr(op_pos + 1);
  const bool or_equal = !rhs.empty() && rhs.front() == '=';
  if (or_equal) rhs.remove_prefix(1);
  out.op = t[op_pos] == '<' ? (or_equal ? ThresholdOp::kLessEqual : ThresholdOp::kLess)
                            : (or_equal ? ThresholdOp::kGreaterEqual : ThresholdOp::kGreater);
  if (const std::size_t bang = rhs.find('!'); bang != std::string_view::npos) {
    if (std::string why = parse_suffix(core::trim_space(rhs.substr(bang + 1)), out); !why.empty()) {
      return why;
    }
    rhs = rhs.substr(0, bang);
  }
  const std::string_view lhs = core::trim_space(t.substr(0, op_pos));
  if (!lhs.empty() && (lhs.back() == '=' || lhs.back() == '<' || lhs.back() == '>')) {
    return "not a comparison: write <, <=, > or >= (the '=' goes after '<' or '>')";
  }
  const std::size_t colon = lhs.rfind(':');
  const std::string_view metric =
      core::trim_space(colon == std::string_view::npos ? lhs : lhs.substr(colon + 1));
  if (colon != std::string_view::npos) {
    out.name = std::string(core::trim_space(lhs.substr(0, colon)));
    if (out.name.empty()) {
      return "empty request name before ':' (leave out 'NAME:' for the Aggregated row)";
    }
  }
  if (metric.empty()) return fmt::format("no metric before '{}'; expected {}", t[op_pos], kMetrics);
  if (std::string why = parse_metric(metric, out); !why.empty()) return why;
  return parse_limit(core::trim_space(rhs), out);
}

core::Result<Threshold> parse_threshold(std::string_view text, std::string_view origin) {
  Threshold t;
  if (std::string why = threshold_problem(text, t); !why.empty()) {
    return core::make_error("bad_threshold",
                            fmt::format("{}: threshold '{}': {}", origin, text, why),
                            "see docs/thresholds.md for the grammar");
  }
  t.origin = std::string(origin);
  return t;
}

std::string metric_label(const Threshold& t) {
  switch (t.metric) {
    case ThresholdMetric::kPercentile:
      return fmt::format("p{:g}", t.percentile);
    case ThresholdMetric::kAvg:
      return "avg";
    case ThresholdMetric::kMin:
      return "min";
    case ThresholdMetric::kMax:
      return "max";
    case ThresholdMetric::kMedian:
      return "median";
    case ThresholdMetric::kFailureRatio:
      return "failure_ratio";
    case ThresholdMetric::kRps:
      return "rps";
    case ThresholdMetric::kFailRps:
      return "fail_rps";
    case ThresholdMetric::kCount:
      return "count";
    case ThresholdMetric::kFailures:
      return "failures";
  }
  return {};
}

std::string_view op_label(ThresholdOp op) {
  switch (op) {
    case ThresholdOp::kLess:
      return "<";
    case ThresholdOp::kLessEqual:
      return "<=";
    case ThresholdOp::kGreater:
      return ">";
    case ThresholdOp::kGreaterEqual:
      return ">=";
  }
  return {};
}

std::string_view metric_unit(ThresholdMetric m) {
  if (is_time(m)) return "ms";
  if (m == ThresholdMetric::kRps || m == ThresholdMetric::kFailRps) return "/s";
  return "";
}

std::string format_metric_value(ThresholdMetric m, double v) {
  if (is_time(m)) return fmt::format("{:.2f} ms", v);
  switch (m) {
    case ThresholdMetric::kFailureRatio:
      return fmt::format("{:.4f}", v);
    case ThresholdMetric::kRps:
    case ThresholdMetric::kFailRps:
      return fmt::format("{:.2f}/s", v);
    default:
      return fmt::format("{:.0f}", v);
  }
}

std::optional<double> observe(const Threshold& t, const Aggregate& a) {
  const auto has_data = [](const Entry& e) { return e.num_requests != 0 || e.num_failures != 0; };
  if (t.name.empty()) {
    if (!has_data(a.total())) return std::nullopt;
    return metric_of(t, a.total(), a);
  }
  std::vector<const Entry*> rows;
  for (const Entry* e : a.entries()) {
    if (has_data(*e) && e->method.size() + 1 + e->name.size() == t.name.size() &&
        t.name.starts_with(e->method) && t.name[e->method.size()] == ' ' &&
        t.name.ends_with(e->name)) {
      rows.push_back(e);
    }
  }
  if (rows.empty()) {
    for (const Entry* e : a.entries()) {
      if (has_data(*e) && e->name == t.name) rows.push_back(e);
    }
  }
  if (rows.empty()) return std::nullopt;
  if (rows.size() == 1) return metric_of(t, *rows.front(), a);
  Entry merged = *rows.front();
  for (std::size_t i = 1; i < rows.size(); ++i) merged.merge(*rows[i]);
  return metric_of(t, merged, a);
}

ThresholdResult evaluate(const Threshold& t, const Aggregate& a) {
  ThresholdResult r;
  r.observed = observe(t, a);
  if (!r.observed) return r;
  r.status = compare(*r.observed, t.op, t.limit) ? ThresholdStatus::kPass : ThresholdStatus::kFail;
  return r;
}

std::vector<ThresholdResult> evaluate_all(const std::vector<Threshold>& ts, const Aggregate& a) {
  std::vector<ThresholdResult> out;
  out.reserve(ts.size());
  for (const Threshold& t : ts) out.push_back(evaluate(t, a));
  return out;
}

std::optional<std::size_t> first_abort(const std::vector<Threshold>& ts, const Aggregate& a,
                                       double now_wall) {
  const double start = a.total().start_time;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (!ts[i].abort_on_fail) continue;
    if (start == 0 || now_wall - start < ts[i].abort_grace_s) continue;
    if (evaluate(ts[i], a).status == ThresholdStatus::kFail) return i;
  }
  return std::nullopt;
}

}  // namespace loadgen::stats
