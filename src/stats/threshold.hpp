// Thresholds: pass/fail criteria over a run's statistics (k6's thresholds), for --threshold,
// scenario files, the reports and the live abort check. Grammar (docs/thresholds.md):
//   [NAME:]METRIC OP VALUE[!abort[=GRACE]]
// parsed from the right (NAME may hold ':' as URLs do). Pure: no clock, no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "stats/aggregate.hpp"

namespace loadgen::stats {

enum class ThresholdMetric {
  kPercentile,    // pN: Histogram::value_at_quantile(N / 100), ms
  kAvg,           // ms
  kMin,           // ms
  kMax,           // ms
  kMedian,        // ms (Locust's lower median)
  kFailureRatio,  // failures / requests, 0..1
  kRps,           // requests / s over the run (the final table's "req/s")
  kFailRps,       // failures / s over the run
  kCount,         // requests
  kFailures,      // failures
};

enum class ThresholdOp { kLess, kLessEqual, kGreater, kGreaterEqual };

struct Threshold {
  // Live evaluation of an !abort threshold waits this long after the statistics start (k6's
  // delayAbortEval): an empty or cold start does not abort the run.
  static constexpr double kDefaultAbortGraceS = 10;

  std::string expression;  // as written (trimmed), with its !abort suffix
  std::string name;        // "" = the Aggregated row; "METHOD name" or a name (every method)
  ThresholdMetric metric = ThresholdMetric::kAvg;
  double percentile = 0;  // kPercentile: in (0, 100]
  ThresholdOp op = ThresholdOp::kLess;
  double limit = 0;  // ms for times, a ratio, per second, or a count
  bool abort_on_fail = false;
  double abort_grace_s = kDefaultAbortGraceS;
  std::string origin;  // "--threshold", "LOADGEN_THRESHOLD", "locust.conf:3", "file.yaml:12:5"
};

// The reason `text` is not a threshold ("" when it is one, then `out` is filled except origin).
std::string threshold_problem(std::string_view text, Threshold& out);
// A threshold, or an error "<origin>: threshold '<text>': <reason>" (code "bad_threshold").
core::Result<Threshold> parse_threshold(std::string_view text, std::string_view origin);

// "p95", "avg", ..., "failure_ratio" as written in the grammar.
std::string metric_label(const Threshold& t);
std::string_view op_label(ThresholdOp op);
// The unit observed values and limits are shown in: "ms", "/s" or "" (ratios and counts).
std::string_view metric_unit(ThresholdMetric m);
// A value of the threshold's metric for people: "212.00 ms", "0.0123", "45.20/s", "12".
std::string format_metric_value(ThresholdMetric m, double v);

// The metric over the rows the threshold names: the Aggregated row (no name), the row whose
// "METHOD name" equals NAME, else every row named NAME (merged). Null when no such row has a
// request or a failure (no data).
std::optional<double> observe(const Threshold& t, const Aggregate& a);

enum class ThresholdStatus { kPass, kFail, kNoData };  // no data fails at the end of a run

struct ThresholdResult {
  ThresholdStatus status = ThresholdStatus::kNoData;
  std::optional<double> observed;  // null: no data
  bool passed() const { return status == ThresholdStatus::kPass; }
};

ThresholdResult evaluate(const Threshold& t, const Aggregate& a);
std::vector<ThresholdResult> evaluate_all(const std::vector<Threshold>& ts, const Aggregate& a);

// The live check (driving thread, after a stats collection): the index of the first !abort
// threshold that fails on data, once its grace period since the statistics' start
// (a.total().start_time, wall seconds) has passed; null when none. No data never aborts.
std::optional<std::size_t> first_abort(const std::vector<Threshold>& ts, const Aggregate& a,
                                       double now_wall);

}  // namespace loadgen::stats
