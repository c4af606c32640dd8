// URL query-string and percent-decoding helpers for shopsim's routes
// (application/x-www-form-urlencoded as browsers and the demo's clients send it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loadgen::shopsim {

// RFC 3986 §2.1 percent-decoding; `plus_is_space` for query components (URL Standard's
// application/x-www-form-urlencoded). nullopt on a '%' not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

// Decoded name/value pairs in order; nullopt if any component is badly percent-encoded.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::optional<QueryParams> parse_query(std::string_view query);

// Every value of `name` (in order).
std::vector<std::string> query_values(const QueryParams& q, std::string_view name);

// The first value of `name`, or nullopt.
std::optional<std::string> query_value(const QueryParams& q, std::string_view name);

}  // namespace loadgen::shopsim
