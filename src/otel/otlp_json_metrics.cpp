// OTLP/JSON metric encoding (see otlp_json.hpp): the JSON names of metrics/v1/metrics.proto
// (opentelemetry-proto v1.x) in lowerCamelCase, members in field-number order.
#include <cstdint>
#include <type_traits>
#include <variant>

#include "otel/otlp_json.hpp"
#include "otel/otlp_json_common.hpp"

namespace loadgen::otel {

namespace {

using namespace json_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

// oneof value {asDouble: number, asInt: sfixed64 as a string}, always written.
void number_value(std::string& o, bool& first, const NumberValue& v) {
  if (const double* d = std::get_if<double>(&v)) {
    key(o, first, "asDouble");
    json_double(o, *d);
  } else {
    key(o, first, "asInt");
    quoted_int(o, std::get<std::int64_t>(v));
  }
}

void exemplar_members(std::string& o, bool& f, const Exemplar& e) {
  uint64_member(o, f, "timeUnixNano", e.time_unix_nano);
  number_value(o, f, e.value);
  id_member_if_valid(o, f, "spanId", e.span_id);
  id_member_if_valid(o, f, "traceId", e.trace_id);
  attributes(o, f, "filteredAttributes", e.filtered_attributes);
}

void point_members(std::string& o, bool& f, const NumberDataPoint& p) {
  uint64_member(o, f, "startTimeUnixNano", p.start_time_unix_nano);
  uint64_member(o, f, "timeUnixNano", p.time_unix_nano);
  number_value(o, f, p.value);
  object_array_member(o, f, "exemplars", p.exemplars, exemplar_members);
  attributes(o, f, "attributes", p.attributes);
  number_member(o, f, "flags", p.flags);
}

void point_members(std::string& o, bool& f, const HistogramDataPoint& p) {
  uint64_member(o, f, "startTimeUnixNano", p.start_time_unix_nano);
  uint64_member(o, f, "timeUnixNano", p.time_unix_nano);
  uint64_member(o, f, "count", p.count);
  optional_double_member(o, f, "sum", p.sum);
  uint64_array_member(o, f, "bucketCounts", p.bucket_counts);
  double_array_member(o, f, "explicitBounds", p.explicit_bounds);
  object_array_member(o, f, "exemplars", p.exemplars, exemplar_members);
  attributes(o, f, "attributes", p.attributes);
  number_member(o, f, "flags", p.flags);
  optional_double_member(o, f, "min", p.min);
  optional_double_member(o, f, "max", p.max);
}

// ExponentialHistogramDataPoint.Buckets, left out when empty (as in protobuf).
void buckets_member(std::string& o, bool& first, std::string_view name,
                    const ExponentialBuckets& b) {
  if (b.offset == 0 && b.bucket_counts.empty()) return;
  object_member(o, first, name, [&b](std::string& out, bool& f) {
    number_member(out, f, "offset", b.offset);
    uint64_array_member(out, f, "bucketCounts", b.bucket_counts);
  });
}

void point_members(std::string& o, bool& f, const ExponentialHistogramDataPoint& p) {
  attributes(o, f, "attributes", p.attributes);
  uint64_member(o, f, "startTimeUnixNano", p.start_time_unix_nano);
  uint64_member(o, f, "timeUnixNano", p.time_unix_nano);
  uint64_member(o, f, "count", p.count);
  optional_double_member(o, f, "sum", p.sum);
  number_member(o, f, "scale", p.scale);
  uint64_member(o, f, "zeroCount", p.zero_count);
  buckets_member(o, f, "positive", p.positive);
  buckets_member(o, f, "negative", p.negative);
  number_member(o, f, "flags", p.flags);
  object_array_member(o, f, "exemplars", p.exemplars, exemplar_members);
  optional_double_member(o, f, "min", p.min);
  optional_double_member(o, f, "max", p.max);
  double_member(o, f, "zeroThreshold", p.zero_threshold);
}

void quantile_members(std::string& o, bool& f, const ValueAtQuantile& q) {
  double_member(o, f, "quantile", q.quantile);
  double_member(o, f, "value", q.value);
}

void point_members(std::string& o, bool& f, const SummaryDataPoint& p) {
  uint64_member(o, f, "startTimeUnixNano", p.start_time_unix_nano);
  uint64_member(o, f, "timeUnixNano", p.time_unix_nano);
  uint64_member(o, f, "count", p.count);
  double_member(o, f, "sum", p.sum);
  object_array_member(o, f, "quantileValues", p.quantile_values, quantile_members);
  attributes(o, f, "attributes", p.attributes);
  number_member(o, f, "flags", p.flags);
}

// "gauge"/"sum"/"histogram"/"exponentialHistogram"/"summary": {dataPoints, and where the type
// has them aggregationTemporality (an integer) and isMonotonic}.
template <class Data>
void data_member(std::string& o, bool& first, std::string_view name, const Data& d) {
  object_member(o, first, name, [&d](std::string& out, bool& f) {
    object_array_member(out, f, "dataPoints", d.data_points,
                        [](std::string& po, bool& pf, const auto& p) { point_members(po, pf, p); });
    if constexpr (requires { d.aggregation_temporality; }) {
      number_member(out, f, "aggregationTemporality",
                    static_cast<std::uint32_t>(d.aggregation_temporality));
    }
    if constexpr (requires { d.is_monotonic; }) {
      if (d.is_monotonic) {
        key(out, f, "isMonotonic");
        out += "true";
      }
    }
  });
}

void metric_members(std::string& o, bool& f, const Metric& m) {
  string_member(o, f, "name", m.name);
  string_member(o, f, "description", m.description);
  string_member(o, f, "unit", m.unit);
  std::visit(
      [&o, &f](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, Gauge>) {
          data_member(o, f, "gauge", d);
        } else if constexpr (std::is_same_v<T, Sum>) {
          data_member(o, f, "sum", d);
        } else if constexpr (std::is_same_v<T, Histogram>) {
          data_member(o, f, "histogram", d);
        } else if constexpr (std::is_same_v<T, ExponentialHistogram>) {
          data_member(o, f, "exponentialHistogram", d);
        } else {
          static_assert(std::is_same_v<T, Summary>);
          data_member(o, f, "summary", d);
        }
      },
      m.data);
  attributes(o, f, "metadata", m.metadata);
}

}  // namespace

void encode_export_metrics_request_json(const std::vector<ResourceMetrics>& batch,
                                        std::string& out) {
  encode_envelopes(batch, out, metric_members);
}

}  // namespace loadgen::otel
