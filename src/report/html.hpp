// The HTML report (--html FILE, GET /stats/report): one self-contained page (no script, no
// external resource; the charts are inline SVG), with Locust 2.12's report sections (html.py,
// templates/report.html): the run's summary, request and response-time statistics, failures,
// exceptions and charts over the whole run. Its numbers are the --csv file's cells (csv.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/csv.hpp"
#include "report/thresholds.hpp"
#include "stats/aggregate.hpp"
#include "stats/history.hpp"

namespace loadgen::report {

// What the statistics do not say about the run; every string is escaped when written.
struct RunInfo {
  double start_wall = 0;  // wall seconds since the epoch when the statistics start
  double end_wall = 0;    // wall seconds since the epoch of the report
  std::string host;       // the target (-H)
  std::string scenario;
  std::int64_t users = 0;  // the target user count
  double spawn_rate = 0;
  std::string version;     // loadgen's
  std::string trace_link;  // --trace-link template ("{trace_id}"); "": ids without links
};

struct HtmlReport {
  const stats::Aggregate& stats;
  const std::vector<ExceptionRow>& exceptions;
  const std::vector<stats::HistoryPoint>& history;  // the charts' points, oldest first
  const RunInfo& run;
  const ThresholdReport* thresholds = nullptr;  // null or none: no Thresholds section
};

std::string format_html_report(const HtmlReport& r);

}  // namespace loadgen::report
