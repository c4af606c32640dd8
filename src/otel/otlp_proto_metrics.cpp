// OTLP/protobuf metric encoding (see otlp_proto.hpp). Field numbers are opentelemetry-proto
// v1.x's metrics/v1/metrics.proto; fields are written in number order (proto3 canonical form).
#include <cstdint>
#include <type_traits>
#include <variant>

#include "otel/otlp_proto.hpp"
#include "otel/otlp_proto_common.hpp"

namespace loadgen::otel {

namespace {

using namespace proto_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

// The `value` oneof of NumberDataPoint and Exemplar: as_double (double) or as_int (sfixed64),
// always written. The two field numbers are not adjacent (fields between them come first), so
// each call writes only when its member is the one set.
void write_as_double(ProtobufWriter& w, std::uint32_t field, const NumberValue& v) {
  if (const double* d = std::get_if<double>(&v)) w.double_field(field, *d);
}
void write_as_int(ProtobufWriter& w, std::uint32_t field, const NumberValue& v) {
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v))
    w.fixed64_field(field, static_cast<std::uint64_t>(*i));  // sfixed64: two's complement
}

// Exemplar {2 time_unix_nano, 3 as_double, 4 span_id, 5 trace_id, 6 as_int,
// 7 filtered_attributes} (1 reserved)
void write_exemplars(ProtobufWriter& w, std::uint32_t field, const std::vector<Exemplar>& list) {
  for (const Exemplar& e : list) {
    const auto m = w.begin_message(field);
    write_fixed64_if(w, 2, e.time_unix_nano);
    write_as_double(w, 3, e.value);
    write_id_if_valid(w, 4, e.span_id);
    write_id_if_valid(w, 5, e.trace_id);
    write_as_int(w, 6, e.value);
    write_attributes(w, 7, e.filtered_attributes);
    w.end_message(m);
  }
}

// NumberDataPoint {2 start, 3 time, 4 as_double, 5 exemplars, 6 as_int, 7 attributes, 8 flags}
void write_point(ProtobufWriter& w, const NumberDataPoint& p) {
  write_fixed64_if(w, 2, p.start_time_unix_nano);
  write_fixed64_if(w, 3, p.time_unix_nano);
  write_as_double(w, 4, p.value);
  write_exemplars(w, 5, p.exemplars);
  write_as_int(w, 6, p.value);
  write_attributes(w, 7, p.attributes);
  write_uint32_if(w, 8, p.flags);
}

// HistogramDataPoint {2 start, 3 time, 4 count, 5 sum?, 6 bucket_counts, 7 explicit_bounds,
// 8 exemplars, 9 attributes, 10 flags, 11 min?, 12 max?}
void write_point(ProtobufWriter& w, const HistogramDataPoint& p) {
  write_fixed64_if(w, 2, p.start_time_unix_nano);
  write_fixed64_if(w, 3, p.time_unix_nano);
  write_fixed64_if(w, 4, p.count);
  write_optional_double(w, 5, p.sum);
  w.packed_fixed64_field(6, p.bucket_counts);
  w.packed_double_field(7, p.explicit_bounds);
  write_exemplars(w, 8, p.exemplars);
  write_attributes(w, 9, p.attributes);
  write_uint32_if(w, 10, p.flags);
  write_optional_double(w, 11, p.min);
  write_optional_double(w, 12, p.max);
}

// ExponentialHistogramDataPoint.Buckets {1 offset sint32, 2 bucket_counts packed uint64};
// left out when it equals the empty default.
void write_buckets(ProtobufWriter& w, std::uint32_t field, const ExponentialBuckets& b) {
  if (b.offset == 0 && b.bucket_counts.empty()) return;
  const auto m = w.begin_message(field, 2);
  if (b.offset != 0) w.sint32_field(1, b.offset);
  w.packed_uint64_field(2, b.bucket_counts);
  w.end_message(m);
}

// ExponentialHistogramDataPoint {1 attributes, 2 start, 3 time, 4 count, 5 sum?, 6 scale sint32,
// 7 zero_count fixed64, 8 positive, 9 negative, 10 flags, 11 exemplars, 12 min?, 13 max?,
// 14 zero_threshold}
void write_point(ProtobufWriter& w, const ExponentialHistogramDataPoint& p) {
  write_attributes(w, 1, p.attributes);
  write_fixed64_if(w, 2, p.start_time_unix_nano);
  write_fixed64_if(w, 3, p.time_unix_nano);
  write_fixed64_if(w, 4, p.count);
  write_optional_double(w, 5, p.sum);
  if (p.scale != 0) w.sint32_field(6, p.scale);
  write_fixed64_if(w, 7, p.zero_count);
  write_buckets(w, 8, p.positive);
  write_buckets(w, 9, p.negative);
  write_uint32_if(w, 10, p.flags);
  write_exemplars(w, 11, p.exemplars);
  write_optional_double(w, 12, p.min);
  write_optional_double(w, 13, p.max);
  write_double_if(w, 14, p.zero_threshold);
}

// SummaryDataPoint {2 start, 3 time, 4 count, 5 sum, 6 quantile_values {1 quantile, 2 value},
// 7 attributes, 8 flags}
void write_point(ProtobufWriter& w, const SummaryDataPoint& p) {
  write_fixed64_if(w, 2, p.start_time_unix_nano);
  write_fixed64_if(w, 3, p.time_unix_nano);
  write_fixed64_if(w, 4, p.count);
  write_double_if(w, 5, p.sum);
  for (const ValueAtQuantile& q : p.quantile_values) {
    const auto m = w.begin_message(6);
    write_double_if(w, 1, q.quantile);
    write_double_if(w, 2, q.value);
    w.end_message(m);
  }
  write_attributes(w, 7, p.attributes);
  write_uint32_if(w, 8, p.flags);
}

// Gauge/Sum/Histogram/ExponentialHistogram/Summary: 1 data_points, then (where the type has
// them) 2 aggregation_temporality and 3 is_monotonic.
template <class Data>
void write_data(ProtobufWriter& w, std::uint32_t field, const Data& d) {
  const auto m = w.begin_message(field, 3);
  for (const auto& p : d.data_points) {
    const auto pm = w.begin_message(1, 2);
    write_point(w, p);
    w.end_message(pm);
  }
  if constexpr (requires { d.aggregation_temporality; }) {
    if (d.aggregation_temporality != AggregationTemporality::kUnspecified)
      w.uint32_field(2, static_cast<std::uint32_t>(d.aggregation_temporality));
  }
  if constexpr (requires { d.is_monotonic; }) {
    if (d.is_monotonic) w.bool_field(3, true);
  }
  w.end_message(m);
}

// Metric {1 name, 2 description, 3 unit, oneof data {5 gauge, 7 sum, 9 histogram,
// 10 exponential_histogram, 11 summary}, 12 metadata} (4, 6, 8 reserved)
void write_metric(ProtobufWriter& w, const Metric& m) {
  write_string_if(w, 1, m.name);
  write_string_if(w, 2, m.description);
  write_string_if(w, 3, m.unit);
  std::visit(
      [&w](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, Gauge>) {
          write_data(w, 5, d);
        } else if constexpr (std::is_same_v<T, Sum>) {
          write_data(w, 7, d);
        } else if constexpr (std::is_same_v<T, Histogram>) {
          write_data(w, 9, d);
        } else if constexpr (std::is_same_v<T, ExponentialHistogram>) {
          write_data(w, 10, d);
        } else {
          static_assert(std::is_same_v<T, Summary>);
          write_data(w, 11, d);
        }
      },
      m.data);
  write_attributes(w, 12, m.metadata);
}

}  // namespace

void encode_export_metrics_request(const std::vector<ResourceMetrics>& batch, std::string& out) {
  encode_envelopes(batch, out, write_metric);
}

void encode_metrics_data(const std::vector<ResourceMetrics>& batch, std::string& out) {
  encode_envelopes(batch, out, write_metric);
}

}  // namespace loadgen::otel
