// The otel module's data model for metric points, as produced by metric aggregation and encoded
// on the exporter thread (OTLP protobuf/JSON). Plain values; owned by whoever holds them.
// Mirrors OTLP's metrics.proto (opentelemetry-proto v1.x); field comments name the proto field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "otel/common.hpp"

namespace loadgen::otel {

// AggregationTemporality (metrics.proto): how a point's value relates to its time interval.
enum class AggregationTemporality : std::uint8_t {
  kUnspecified = 0,  // MUST NOT be sent for Sum/Histogram/ExponentialHistogram
  kDelta = 1,        // since the previous report
  kCumulative = 2,   // since start_time_unix_nano (fixed per series)
};

// DataPointFlags: bit 0 marks a point that stands for "no recorded value" (a staleness marker).
inline constexpr std::uint32_t kDataPointNoRecordedValue = 1;

// NumberDataPoint.value / Exemplar.value: oneof {as_double double, as_int sfixed64}.
using NumberValue = std::variant<std::int64_t, double>;

// Exemplar: one raw measurement kept with its trace context. Ids all zero = not sampled.
struct Exemplar {
  Attributes filtered_attributes;    // 7: attributes dropped from the point by a view
  std::uint64_t time_unix_nano = 0;  // 2
  NumberValue value = std::int64_t{0};
  SpanId span_id{};    // 4
  TraceId trace_id{};  // 5
};

// Gauge and Sum points.
struct NumberDataPoint {
  Attributes attributes;                   // 7
  std::uint64_t start_time_unix_nano = 0;  // 2
  std::uint64_t time_unix_nano = 0;        // 3
  NumberValue value = std::int64_t{0};     // 4 as_double / 6 as_int
  std::vector<Exemplar> exemplars;         // 5
  std::uint32_t flags = 0;                 // 8 (DataPointFlags)
};

// Explicit-bucket histogram point: bucket_counts.size() == explicit_bounds.size() + 1 (or both
// empty); bucket i covers (bounds[i-1], bounds[i]].
struct HistogramDataPoint {
  Attributes attributes;                     // 9
  std::uint64_t start_time_unix_nano = 0;    // 2
  std::uint64_t time_unix_nano = 0;          // 3
  std::uint64_t count = 0;                   // 4
  std::optional<double> sum;                 // 5 (optional: absent for negative measurements)
  std::vector<std::uint64_t> bucket_counts;  // 6
  std::vector<double> explicit_bounds;       // 7
  std::vector<Exemplar> exemplars;           // 8
  std::uint32_t flags = 0;                   // 10
  std::optional<double> min;                 // 11
  std::optional<double> max;                 // 12
};

// ExponentialHistogramDataPoint.Buckets: bucket_counts[k] counts index offset + k.
struct ExponentialBuckets {
  std::int32_t offset = 0;                   // 1 (sint32)
  std::vector<std::uint64_t> bucket_counts;  // 2
};

// Base-2 exponential histogram point: base = 2^(2^-scale), index i covers (base^i, base^(i+1)].
struct ExponentialHistogramDataPoint {
  Attributes attributes;                   // 1
  std::uint64_t start_time_unix_nano = 0;  // 2
  std::uint64_t time_unix_nano = 0;        // 3
  std::uint64_t count = 0;                 // 4
  std::optional<double> sum;               // 5
  std::int32_t scale = 0;                  // 6 (sint32)
  std::uint64_t zero_count = 0;            // 7
  ExponentialBuckets positive;             // 8
  ExponentialBuckets negative;             // 9
  std::uint32_t flags = 0;                 // 10
  std::vector<Exemplar> exemplars;         // 11
  std::optional<double> min;               // 12
  std::optional<double> max;               // 13
  double zero_threshold = 0;               // 14
};

// Summary points (legacy, for Prometheus/OpenMetrics-style quantiles; SDKs do not produce them).
struct ValueAtQuantile {
  double quantile = 0;  // 1, in [0, 1]
  double value = 0;     // 2
};
struct SummaryDataPoint {
  Attributes attributes;                         // 7
  std::uint64_t start_time_unix_nano = 0;        // 2
  std::uint64_t time_unix_nano = 0;              // 3
  std::uint64_t count = 0;                       // 4
  double sum = 0;                                // 5
  std::vector<ValueAtQuantile> quantile_values;  // 6
  std::uint32_t flags = 0;                       // 8
};

struct Gauge {
  std::vector<NumberDataPoint> data_points;
};
struct Sum {
  std::vector<NumberDataPoint> data_points;
  AggregationTemporality aggregation_temporality = AggregationTemporality::kCumulative;
  bool is_monotonic = false;
};
struct Histogram {
  std::vector<HistogramDataPoint> data_points;
  AggregationTemporality aggregation_temporality = AggregationTemporality::kCumulative;
};
struct ExponentialHistogram {
  std::vector<ExponentialHistogramDataPoint> data_points;
  AggregationTemporality aggregation_temporality = AggregationTemporality::kCumulative;
};
struct Summary {
  std::vector<SummaryDataPoint> data_points;
};

struct Metric {
  std::string name;         // 1
  std::string description;  // 2
  std::string unit;         // 3 (UCUM, e.g. "s", "By", "{request}")
  // oneof data: 5 gauge, 7 sum, 9 histogram, 10 exponential_histogram, 11 summary.
  std::variant<Gauge, Sum, Histogram, ExponentialHistogram, Summary> data;
  Attributes metadata;  // 12
};

// Number of data points a metric carries (what ExportMetricsPartialSuccess counts).
inline std::size_t data_point_count(const Metric& m) {
  return std::visit([](const auto& d) { return d.data_points.size(); }, m.data);
}

// One export batch: a resource, and metrics grouped by instrumentation scope (meter).
struct ScopeMetrics {
  InstrumentationScope scope;
  std::vector<Metric> metrics;
  std::string schema_url;
};
struct ResourceMetrics {
  Resource resource;
  std::vector<ScopeMetrics> scope_metrics;
};

}  // namespace loadgen::otel
