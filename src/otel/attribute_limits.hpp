// Attribute limits (common/README.md "Attribute Limits", trace/sdk.md "Span Limits"): the
// SDK side of setting an attribute. Setting a key again replaces its value; a new key beyond
// the count limit is dropped and counted; string values (and strings inside arrays) longer
// than the length limit are truncated (at a UTF-8 character boundary).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "otel/span_data.hpp"

namespace loadgen::otel {

// Truncates string values to at most `limit` bytes, never splitting a UTF-8 sequence.
void truncate_value(AttrValue& value, std::optional<std::uint32_t> limit);

// Sets key=value in `attrs` under the limits; `dropped` counts the attributes refused.
void put_attribute(Attributes& attrs, std::uint32_t& dropped, std::string_view key, AttrValue value,
                   std::uint32_t count_limit, std::optional<std::uint32_t> length_limit);

// Applies the limits to attributes set without them (e.g. a record built on a worker, limited
// on the exporter thread): beyond count_limit they are dropped and counted, longer strings
// truncated.
void limit_attributes(Attributes& attrs, std::uint32_t& dropped, std::uint32_t count_limit,
                      std::optional<std::uint32_t> length_limit);

}  // namespace loadgen::otel
