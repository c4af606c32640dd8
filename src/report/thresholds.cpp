// Thresholds in the reports (see thresholds.hpp).
#include "report/thresholds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "report/json.hpp"
#include "report/number_format.hpp"

namespace loadgen::report {
namespace {

std::string number(double v) { return std::isfinite(v) ? detail::py_float(v) : "null"; }

std::string_view status_key(stats::ThresholdStatus s) {
  switch (s) {
    case stats::ThresholdStatus::kPass:
      return "pass";
    case stats::ThresholdStatus::kFail:
      return "fail";
    case stats::ThresholdStatus::kNoData:
      return "no_data";
  }
  return "";
}

}  // namespace

ThresholdReport ThresholdReport::evaluate(const std::vector<stats::Threshold>& ts,
                                          const stats::Aggregate& a,
                                          std::optional<ThresholdAbort> aborted) {
  return ThresholdReport{ts, stats::evaluate_all(ts, a), aborted};
}

bool ThresholdReport::failed() const {
  return aborted.has_value() ||
         std::any_of(results.begin(), results.end(), [](const auto& r) { return !r.passed(); });
}

std::string observed_text(const stats::Threshold& t, const stats::ThresholdResult& r) {
  if (!r.observed) return "no data";
  return stats::format_metric_value(t.metric, *r.observed);
}

std::string result_text(const stats::Threshold& t, const stats::ThresholdResult& r) {
  switch (r.status) {
    case stats::ThresholdStatus::kPass:
      return "pass";
    case stats::ThresholdStatus::kFail:
      return "FAIL";
    case stats::ThresholdStatus::kNoData:
      return t.name.empty() ? "FAIL (no data: no request was made)"
                            : fmt::format("FAIL (no data: no request matched '{}')", t.name);
  }
  return "";
}

std::string format_thresholds_table(const ThresholdReport& r) {
  if (r.thresholds.empty()) return {};
  std::size_t expr_w = 9;  // "Threshold"
  std::size_t obs_w = 8;   // "Observed"
  std::size_t res_w = 6;   // "Result"
  for (std::size_t i = 0; i < r.thresholds.size(); ++i) {
    expr_w = std::max(expr_w, r.thresholds[i].expression.size());
    obs_w = std::max(obs_w, observed_text(r.thresholds[i], r.results[i]).size());
    res_w = std::max(res_w, result_text(r.thresholds[i], r.results[i]).size());
  }
  expr_w = std::min<std::size_t>(expr_w, 100);
  std::string out = "Thresholds\n";
  out += fmt::format("{:<{}} | {:>{}} | {:<{}} | {}\n", "Threshold", expr_w, "Observed", obs_w,
                     "Result", res_w, "Origin");
  out += std::string(expr_w + obs_w + res_w + 6 + 3 + 6, '-') + "\n";
  for (std::size_t i = 0; i < r.thresholds.size(); ++i) {
    const stats::Threshold& t = r.thresholds[i];
    out += fmt::format("{:<{}} | {:>{}} | {:<{}} | {}\n", t.expression, expr_w,
                       observed_text(t, r.results[i]), obs_w, result_text(t, r.results[i]), res_w,
                       t.origin);
  }
  const std::size_t failed = static_cast<std::size_t>(
      std::count_if(r.results.begin(), r.results.end(), [](const auto& x) { return !x.passed(); }));
  out += fmt::format("{} of {} thresholds passed\n", r.thresholds.size() - failed,
                     r.thresholds.size());
  if (r.aborted && r.aborted->index < r.thresholds.size()) {
    const stats::Threshold& t = r.thresholds[r.aborted->index];
    out += fmt::format("Run aborted by threshold '{}' ({}): {} was {} after {:.0f} s\n",
                       t.expression, t.origin, stats::metric_label(t),
                       stats::format_metric_value(t.metric, r.aborted->observed),
                       r.aborted->elapsed_s);
  }
  return out + "\n";
}

std::string thresholds_json(const ThresholdReport& r, int indent) {
  if (r.thresholds.empty()) return "[]";
  const std::string pad(static_cast<std::size_t>(std::max(indent, 0)), ' ');
  std::string out = "[\n";
  for (std::size_t i = 0; i < r.thresholds.size(); ++i) {
    const stats::Threshold& t = r.thresholds[i];
    const stats::ThresholdResult& res = r.results[i];
    const auto field = [&](std::string_view key, const std::string& value, bool last = false) {
      out += fmt::format("{}        {}: {}{}\n", pad, json_string(key), value, last ? "" : ",");
    };
    out += pad + "    {\n";
    field("expression", json_string(t.expression));
    field("origin", json_string(t.origin));
    field("name", t.name.empty() ? "null" : json_string(t.name));
    field("metric", json_string(stats::metric_label(t)));
    field("op", json_string(stats::op_label(t.op)));
    field("limit", number(t.limit));
    field("unit", json_string(stats::metric_unit(t.metric)));
    field("observed", res.observed ? number(*res.observed) : "null");
    field("status", json_string(status_key(res.status)));
    field("passed", res.passed() ? "true" : "false");
    field("abort_on_fail", t.abort_on_fail ? "true" : "false");
    field("aborted_run", r.aborted && r.aborted->index == i ? "true" : "false", true);
    out += pad + (i + 1 == r.thresholds.size() ? "    }\n" : "    },\n");
  }
  return out + pad + "]";
}

std::string format_summary_json(const stats::Aggregate& a, const ThresholdReport& r,
                                const ConnectionFigures* connections) {
  std::string list = format_json_summary(a);
  while (!list.empty() && list.back() == '\n') list.pop_back();
  std::string stats_list;
  for (char c : list) {
    stats_list += c;
    if (c == '\n') stats_list += "    ";
  }
  std::string out = "{\n    \"stats\": " + stats_list + ",\n";
  out += "    \"thresholds\": " + thresholds_json(r, 4) + ",\n";
  out += fmt::format("    \"thresholds_passed\": {},\n", r.failed() ? "false" : "true");
  out += "    \"aborted_by\": ";
  out += r.aborted && r.aborted->index < r.thresholds.size()
             ? json_string(r.thresholds[r.aborted->index].expression)
             : std::string("null");
  if (connections != nullptr) {
    const ConnectionFigures& c = *connections;
    out += fmt::format(
        ",\n    \"connections\": {{\"opened\": {}, \"reused\": {}, \"taken\": {}, \"returned\": "
        "{}, "
        "\"replaced\": {}, \"peak_open\": {}, \"open\": {}, \"pooled\": {}}}",
        c.opened, c.reused, c.taken, c.returned, c.replaced, c.peak_open, c.open, c.pooled);
  }
  return out + "\n}\n";
}

}  // namespace loadgen::report
