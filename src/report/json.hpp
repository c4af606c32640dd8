// JSON summary of the run like newer Locust's --json and --json-file output: the list
// RequestStats.serialize_stats() returns, for the app's --json (stdout) and --json-file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "stats/aggregate.hpp"

namespace loadgen::report {

// A JSON array with one object per (name, method) entry that has a request or a failure,
// sorted by (name, method); the Aggregated total is NOT in the list (summing the entries gives
// it, as in Locust). Each object has StatsEntry.serialize()'s keys of Locust 2.12 (stats.py
// StatsEntryDict), in its order: name, method, last_request_timestamp (epoch s, null before any
// request), start_time, num_requests, num_none_requests (always 0), num_failures,
// total_response_time, max_response_time, min_response_time (ms; min null without requests),
// total_content_length, response_times ({ms bucket: count}, see locust_response_times),
// num_reqs_per_sec and num_fail_per_sec ({epoch second: count}; the aggregate keeps the last
// stats::Aggregate::kPerSecondWindow seconds, Locust every second). Indented with 4 spaces like
// Python's json.dumps(indent=4); ends with a newline; "[]" when nothing was requested.
std::string format_json_summary(const stats::Aggregate& a);

// Locust's response_times dict of an entry: every sample's response time rounded to whole ms
// below 100 ms, to 10 ms below 1 s, to 100 ms below 10 s, else to 1 s (round half to even),
// with the count in each. Samples are taken at their histogram bucket's midpoint (within 0.8 %).
std::map<std::int64_t, std::uint64_t> locust_response_times(const stats::Entry& e);

// s as a JSON string literal with quotes (core::append_json_string): '"', '\\', controls and
// DEL escaped, valid UTF-8 passed through, each maximal ill-formed subpart as \ufffd.
std::string json_string(std::string_view s);

}  // namespace loadgen::report
