// Types every OTLP signal shares (common.proto, resource.proto): trace/span ids, attribute
// values, the instrumentation scope and the resource. Plain values; span_data.hpp,
// metric_data.hpp and log_data.hpp build on them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace loadgen::otel {

using TraceId = std::array<std::uint8_t, 16>;  // all zero = invalid
using SpanId = std::array<std::uint8_t, 8>;    // all zero = invalid / none

// OTLP AnyValue subset we emit (common.proto): string, bool, int64, double, array of those.
struct AttrValue;
using AttrArray = std::vector<AttrValue>;
struct AttrValue {
  std::variant<std::string, bool, std::int64_t, double, AttrArray> v;
};
struct Attribute {
  std::string key;
  AttrValue value;
};
using Attributes = std::vector<Attribute>;

// InstrumentationScope (common.proto): who produced the telemetry (meter, tracer, logger).
struct InstrumentationScope {
  std::string name;
  std::string version;
  Attributes attributes;
};

// Resource (resource.proto). schema_url is written as Resource{Spans,Metrics,Logs}.schema_url.
struct Resource {
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::string schema_url;
};

}  // namespace loadgen::otel
