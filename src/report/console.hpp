// Console tables in Locust 2.12's layout (stats.py get_stats_summary,
// get_percentile_stats_summary, get_error_report_summary), for the app's periodic and final
// output. Each function returns whole lines ending in '\n', including Locust's trailing blank
// line, so the caller writes the string as is.
#pragma once

#include <string>

#include "stats/aggregate.hpp"

namespace loadgen::report {

// Locust's STATS_NAME_WIDTH when stdout is not a terminal.
inline constexpr int kStatsNameWidth = 80;
// Locust's width for a terminal of `columns` columns: max(min(columns - 80, 80), 0).
int stats_name_width_for_terminal(int columns);

// Request table, entries sorted by (name, method), then Aggregated. current: req/s and
// failures/s over Locust's 10 s window (the periodic table); false: over the whole run (the
// final summary, Locust's print_stats(current=False)).
std::string format_stats_table(const stats::Aggregate& a, bool current = true,
                               int name_width = kStatsNameWidth);
// "Response time percentiles (approximated)": 50 66 75 80 90 95 98 99 99.9 99.99 100, and
// # reqs; rows only for entries with requests.
std::string format_percentiles_table(const stats::Aggregate& a, int name_width = kStatsNameWidth);
// "Error report": # occurrences | "<method> <name>: <error>", most frequent first; empty string
// when there are no errors (Locust prints nothing then).
std::string format_error_report(const stats::Aggregate& a, int name_width = kStatsNameWidth);

}  // namespace loadgen::report
