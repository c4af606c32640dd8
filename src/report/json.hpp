// JSON summary of the run like newer Locust's --json output (a list of StatsEntry.serialize()
// dicts), for the app's --json flag: one object per entry, sorted, then the Aggregated entry.
#pragma once

#include <string>
#include <string_view>

#include "stats/aggregate.hpp"

namespace loadgen::report {

// A JSON array of objects: name, method, last_request_timestamp (epoch s, null before any
// request), start_time, num_requests, num_none_requests (always 0), num_failures,
// total_response_time, max_response_time, min_response_time (ms; min null without requests),
// total_content_length. Locust's response_times and per-second dicts are left out. Indented
// with 4 spaces like Python's json.dumps(indent=4); ends with a newline.
std::string format_json_summary(const stats::Aggregate& a);

// s as a JSON string literal with quotes (RFC 8259 §7): '"', '\\' and control characters
// escaped, valid UTF-8 passed through, each invalid byte replaced by U+FFFD.
std::string json_string(std::string_view s);

}  // namespace loadgen::report
