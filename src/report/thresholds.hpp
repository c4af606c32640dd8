// The thresholds' results (docs/thresholds.md) as the reports show them: the console table of
// the final summary, the JSON array of --summary-json and GET /stats/loadgen, and the
// --summary-json document itself. The HTML report's section is in html.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stats/aggregate.hpp"
#include "stats/threshold.hpp"

namespace loadgen::report {

// An !abort threshold that stopped the run while it was up.
struct ThresholdAbort {
  std::size_t index = 0;  // into the thresholds
  double observed = 0;    // its value when it failed
  double elapsed_s = 0;   // seconds after the statistics' start
};

struct ThresholdReport {
  const std::vector<stats::Threshold>& thresholds;
  std::vector<stats::ThresholdResult> results;  // one per threshold
  std::optional<ThresholdAbort> aborted;

  // Every threshold evaluated over `a`.
  static ThresholdReport evaluate(const std::vector<stats::Threshold>& ts,
                                  const stats::Aggregate& a, std::optional<ThresholdAbort> aborted);
  // A threshold failed (no data included) or one aborted the run.
  bool failed() const;
};

// "no data" or the value with its unit ("212.00 ms").
std::string observed_text(const stats::Threshold& t, const stats::ThresholdResult& r);
// "pass", "FAIL" or "FAIL (no data: ...)" for people.
std::string result_text(const stats::Threshold& t, const stats::ThresholdResult& r);

// "Thresholds" table (expression, observed, result, origin), then which threshold aborted the
// run, if one did; ends with a blank line. Empty when there is no threshold.
std::string format_thresholds_table(const ThresholdReport& r);

// A JSON array, one object per threshold: expression, origin, name (null: Aggregated), metric,
// op, limit and unit (times in ms), observed (null: no data), status ("pass", "fail",
// "no_data"), passed, abort_on_fail, aborted_run. No trailing newline; each line after the
// first is indented by `indent` spaces.
std::string thresholds_json(const ThresholdReport& r, int indent = 0);

// What the workers' connections did (net::ConnectionStats; docs/connections.md).
struct ConnectionFigures {
  std::uint64_t opened = 0, reused = 0, taken = 0, returned = 0, replaced = 0, peak_open = 0,
                open = 0, pooled = 0;
};

// --summary-json: {"stats": format_json_summary(a), "thresholds": [...], "thresholds_passed":
// bool, "aborted_by": expression or null, and with `connections`: "connections": {"opened",
// "reused", "taken", "returned", "replaced", "peak_open", "open", "pooled"}}, indented by 4 like
// the --json list; ends with '\n'.
std::string format_summary_json(const stats::Aggregate& a, const ThresholdReport& r,
                                const ConnectionFigures* connections = nullptr);

}  // namespace loadgen::report
