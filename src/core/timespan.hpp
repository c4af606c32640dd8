// Parsing of human durations: Locust's run-time syntax ("90", "90s", "1h30m") and
// timeouts with sub-second units ("500ms", "1.5s", "2m").
#pragma once

#include <chrono>
#include <string_view>

#include "core/result.hpp"

namespace loadgen::core {

// Locust 2.12 util/timespan.parse_timespan: a bare integer is seconds; otherwise any of
// "<n>h", "<n>m", "<n>s" in that order, optionally separated by spaces ("1h30m", "1h 30m", "20s").
// `what` names the input in the error message (e.g. "--run-time").
Result<std::chrono::seconds> parse_timespan(std::string_view text, std::string_view what);

// A duration with a unit: "20us", "250ms", "1.5s", "2m", "1h"; a bare number is seconds.
Result<std::chrono::nanoseconds> parse_duration(std::string_view text, std::string_view what);

// "1h 2m 3s" style rendering for messages.
std::string format_seconds(std::chrono::seconds s);

}  // namespace loadgen::core
