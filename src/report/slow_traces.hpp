// Slow traces per request name (issue 11): the trace id of a recent slow request of each
// (method, name) entry (stats::SlowTrace), and links to it from an operator's trace UI through
// the --trace-link template. Used by GET /stats/slow_traces and the HTML report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stats/aggregate.hpp"

namespace loadgen::report {

inline constexpr std::string_view kTraceIdPlaceholder = "{trace_id}";

struct SlowTraceRow {
  std::string method, name;
  std::string trace_id;  // 32 lowercase hex digits
  double response_time_ms = 0;
};

// The entries with a known slow trace, in the stats table's order (Aggregated excluded).
std::vector<SlowTraceRow> slow_trace_rows(const stats::Aggregate& a);
// The 32 lowercase hex digits of a trace id (W3C Trace Context §3.2.2.3).
std::string trace_id_hex(const stats::TraceIdBytes& id);
// `link_template` with every "{trace_id}" replaced by trace_id_hex; "" when the template is.
std::string trace_link(std::string_view link_template, std::string_view trace_id_hex);
// The body of GET /stats/slow_traces: {"link_template": "...", "traces": [{"method", "name",
// "trace_id", "response_time" (ms)}, ...]}.
std::string slow_traces_json(const stats::Aggregate& a, std::string_view link_template);

}  // namespace loadgen::report
