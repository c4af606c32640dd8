// OTLP/protobuf metric and log encoders checked by an independent decoder: Debian's libprotobuf
// with our own .proto files (tests/support/proto/, written from the OTLP field tables).
// Every field of the sample batches, explicit presence of sum/min/max, canonical bytes, the
// *Data forms, empty envelopes, and the metrics/logs response decoders.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "otel/otlp_proto.hpp"
#include "otlp_logs_service.pb.h"
#include "otlp_metrics_service.pb.h"
#include "otlp_pb_expect.hpp"
#include "otlp_test_metrics_logs.hpp"

namespace loadgen::otel {
namespace {

namespace pb_metrics = ::opentelemetry::proto::metrics::v1;
namespace pb_logs = ::opentelemetry::proto::logs::v1;
namespace pb_metrics_svc = ::opentelemetry::proto::collector::metrics::v1;
namespace pb_logs_svc = ::opentelemetry::proto::collector::logs::v1;
using namespace loadgen::otel::testing;  // NOLINT(google-build-using-namespace)

template <class PbWithValue>
void expect_number(const NumberValue& want, const PbWithValue& got) {
  if (const double* d = std::get_if<double>(&want)) {
    ASSERT_EQ(got.value_case(), PbWithValue::kAsDouble);
    EXPECT_EQ(bits(got.as_double()), bits(*d));
  } else {
    ASSERT_EQ(got.value_case(), PbWithValue::kAsInt);
    EXPECT_EQ(got.as_int(), std::get<std::int64_t>(want));
  }
}

void expect_exemplars(const std::vector<Exemplar>& want,
                      const google::protobuf::RepeatedPtrField<pb_metrics::Exemplar>& got) {
  ASSERT_EQ(static_cast<std::size_t>(got.size()), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& e = got.Get(static_cast<int>(i));
    expect_attributes(want[i].filtered_attributes, e.filtered_attributes(), "exemplar");
    EXPECT_EQ(e.time_unix_nano(), want[i].time_unix_nano);
    expect_number(want[i].value, e);
    EXPECT_EQ(e.span_id(), optional_id_bytes(want[i].span_id));
    EXPECT_EQ(e.trace_id(), optional_id_bytes(want[i].trace_id));
  }
}

template <class Want, class Got>
void expect_point_common(const Want& want, const Got& got) {
  expect_attributes(want.attributes, got.attributes(), "point");
  EXPECT_EQ(got.start_time_unix_nano(), want.start_time_unix_nano);
  EXPECT_EQ(got.time_unix_nano(), want.time_unix_nano);
  EXPECT_EQ(got.flags(), want.flags);
}

// `optional double`: present exactly when set, bit-exact.
#define EXPECT_OPTIONAL_DOUBLE(want_opt, got, field)                  \
  do {                                                                \
    ASSERT_EQ((got).has_##field(), (want_opt).has_value()) << #field; \
    if ((want_opt).has_value()) {                                     \
      EXPECT_EQ(bits((got).field()), bits(*(want_opt))) << #field;    \
    }                                                                 \
  } while (false)

void expect_point(const NumberDataPoint& want, const pb_metrics::NumberDataPoint& got) {
  expect_point_common(want, got);
  expect_number(want.value, got);
  expect_exemplars(want.exemplars, got.exemplars());
}

void expect_point(const HistogramDataPoint& want, const pb_metrics::HistogramDataPoint& got) {
  expect_point_common(want, got);
  EXPECT_EQ(got.count(), want.count);
  EXPECT_OPTIONAL_DOUBLE(want.sum, got, sum);
  EXPECT_OPTIONAL_DOUBLE(want.min, got, min);
  EXPECT_OPTIONAL_DOUBLE(want.max, got, max);
  EXPECT_EQ(std::vector<std::uint64_t>(got.bucket_counts().begin(), got.bucket_counts().end()),
            want.bucket_counts);
  ASSERT_EQ(static_cast<std::size_t>(got.explicit_bounds_size()), want.explicit_bounds.size());
  for (std::size_t i = 0; i < want.explicit_bounds.size(); ++i)
    EXPECT_EQ(bits(got.explicit_bounds(static_cast<int>(i))), bits(want.explicit_bounds[i]));
  expect_exemplars(want.exemplars, got.exemplars());
}

void expect_buckets(const ExponentialBuckets& want,
                    const pb_metrics::ExponentialHistogramDataPoint::Buckets& got) {
  EXPECT_EQ(got.offset(), want.offset);
  EXPECT_EQ(std::vector<std::uint64_t>(got.bucket_counts().begin(), got.bucket_counts().end()),
            want.bucket_counts);
}

void expect_point(const ExponentialHistogramDataPoint& want,
                  const pb_metrics::ExponentialHistogramDataPoint& got) {
  expect_point_common(want, got);
  EXPECT_EQ(got.count(), want.count);
  EXPECT_OPTIONAL_DOUBLE(want.sum, got, sum);
  EXPECT_OPTIONAL_DOUBLE(want.min, got, min);
  EXPECT_OPTIONAL_DOUBLE(want.max, got, max);
  EXPECT_EQ(got.scale(), want.scale);
  EXPECT_EQ(got.zero_count(), want.zero_count);
  expect_buckets(want.positive, got.positive());
  expect_buckets(want.negative, got.negative());
  EXPECT_EQ(bits(got.zero_threshold()), bits(want.zero_threshold));
  expect_exemplars(want.exemplars, got.exemplars());
}

void expect_point(const SummaryDataPoint& want, const pb_metrics::SummaryDataPoint& got) {
  expect_point_common(want, got);
  EXPECT_EQ(got.count(), want.count);
  EXPECT_EQ(bits(got.sum()), bits(want.sum));
  ASSERT_EQ(static_cast<std::size_t>(got.quantile_values_size()), want.quantile_values.size());
  for (std::size_t i = 0; i < want.quantile_values.size(); ++i) {
    EXPECT_EQ(got.quantile_values(static_cast<int>(i)).quantile(),
              want.quantile_values[i].quantile);
    EXPECT_EQ(got.quantile_values(static_cast<int>(i)).value(), want.quantile_values[i].value);
  }
}

template <class Want, class Got>
void expect_points(const Want& want, const Got& got) {
  ASSERT_EQ(static_cast<std::size_t>(got.data_points_size()), want.data_points.size());
  for (std::size_t i = 0; i < want.data_points.size(); ++i) {
    SCOPED_TRACE("point " + std::to_string(i));
    expect_point(want.data_points[i], got.data_points(static_cast<int>(i)));
  }
}

void expect_metric(const Metric& want, const pb_metrics::Metric& got) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got.name(), want.name);
  EXPECT_EQ(got.description(), sanitized(want.description));
  EXPECT_EQ(got.unit(), want.unit);
  expect_attributes(want.metadata, got.metadata(), "metadata");
  std::visit(
      [&got](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, Gauge>) {
          ASSERT_EQ(got.data_case(), pb_metrics::Metric::kGauge);
          expect_points(d, got.gauge());
        } else if constexpr (std::is_same_v<T, Sum>) {
          ASSERT_EQ(got.data_case(), pb_metrics::Metric::kSum);
          expect_points(d, got.sum());
          EXPECT_EQ(static_cast<int>(got.sum().aggregation_temporality()),
                    static_cast<int>(d.aggregation_temporality));
          EXPECT_EQ(got.sum().is_monotonic(), d.is_monotonic);
        } else if constexpr (std::is_same_v<T, Histogram>) {
          ASSERT_EQ(got.data_case(), pb_metrics::Metric::kHistogram);
          expect_points(d, got.histogram());
          EXPECT_EQ(static_cast<int>(got.histogram().aggregation_temporality()),
                    static_cast<int>(d.aggregation_temporality));
        } else if constexpr (std::is_same_v<T, ExponentialHistogram>) {
          ASSERT_EQ(got.data_case(), pb_metrics::Metric::kExponentialHistogram);
          expect_points(d, got.exponential_histogram());
          EXPECT_EQ(static_cast<int>(got.exponential_histogram().aggregation_temporality()),
                    static_cast<int>(d.aggregation_temporality));
        } else {
          ASSERT_EQ(got.data_case(), pb_metrics::Metric::kSummary);
          expect_points(d, got.summary());
        }
      },
      want.data);
}

void expect_metrics_batch(
    const std::vector<ResourceMetrics>& batch,
    const google::protobuf::RepeatedPtrField<pb_metrics::ResourceMetrics>& got) {
  expect_envelopes(
      sendable_metrics(batch), got, &ResourceMetrics::scope_metrics, &ScopeMetrics::metrics,
      [](const pb_metrics::ResourceMetrics& r) -> const auto& { return r.scope_metrics(); },
      [](const pb_metrics::ScopeMetrics& s) -> const auto& { return s.metrics(); }, expect_metric);
}

void expect_log_record(const LogRecord& want, const pb_logs::LogRecord& got) {
  SCOPED_TRACE(want.event_name);
  EXPECT_EQ(got.time_unix_nano(), want.time_unix_nano);
  EXPECT_EQ(got.observed_time_unix_nano(), want.observed_time_unix_nano);
  EXPECT_EQ(static_cast<int>(got.severity_number()), static_cast<int>(want.severity_number));
  EXPECT_EQ(got.severity_text(), sanitized(want.severity_text));
  ASSERT_EQ(got.has_body(), want.body.has_value());
  if (want.body) expect_value(*want.body, got.body(), "body");
  expect_attributes(want.attributes, got.attributes(), "log");
  EXPECT_EQ(got.dropped_attributes_count(), want.dropped_attributes_count);
  EXPECT_EQ(got.flags(), want.flags);
  EXPECT_EQ(got.trace_id(), optional_id_bytes(want.trace_id));
  EXPECT_EQ(got.span_id(), optional_id_bytes(want.span_id));
  EXPECT_EQ(got.event_name(), sanitized(want.event_name));
}

void expect_logs_batch(const std::vector<ResourceLogs>& batch,
                       const google::protobuf::RepeatedPtrField<pb_logs::ResourceLogs>& got) {
  expect_envelopes(
      sendable_logs(batch), got, &ResourceLogs::scope_logs, &ScopeLogs::log_records,
      [](const pb_logs::ResourceLogs& r) -> const auto& { return r.scope_logs(); },
      [](const pb_logs::ScopeLogs& s) -> const auto& { return s.log_records(); },
      expect_log_record);
}

// ---- metrics ------------------------------------------------------------------------------

TEST(OtlpProtoMetrics, ExportMetricsServiceRequestDecodesWithLibprotobuf) {
  const auto batch = sample_metrics_batch();
  std::string out = "stale bytes from the previous batch";
  encode_export_metrics_request(batch, out);
  pb_metrics_svc::ExportMetricsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));
  expect_metrics_batch(batch, req.resource_metrics());
  expect_no_unknown_fields(req);
  // The sample's shape, so that a skipped envelope cannot pass unnoticed.
  ASSERT_EQ(req.resource_metrics_size(), 2);
  EXPECT_EQ(req.resource_metrics(0).scope_metrics_size(), 2);
  EXPECT_EQ(req.resource_metrics(0).scope_metrics(0).metrics_size(), 6);
}

TEST(OtlpProtoMetrics, OutputIsCanonical) {
  std::string out;
  encode_export_metrics_request(sample_metrics_batch(), out);
  expect_canonical<pb_metrics_svc::ExportMetricsServiceRequest>(out);
}

TEST(OtlpProtoMetrics, MetricsDataHasTheSameLayout) {
  const auto batch = sample_metrics_batch();
  std::string a;
  std::string b;
  encode_export_metrics_request(batch, a);
  encode_metrics_data(batch, b);
  EXPECT_EQ(a, b);
  pb_metrics::MetricsData data;
  ASSERT_TRUE(data.ParseFromString(b));
  expect_metrics_batch(batch, data.resource_metrics());
}

TEST(OtlpProtoMetrics, OptionalDoublesAreAbsentUnlessSet) {
  const auto batch = sample_metrics_batch();
  std::string out;
  encode_export_metrics_request(batch, out);
  pb_metrics_svc::ExportMetricsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));
  const auto& metrics = req.resource_metrics(0).scope_metrics(0).metrics();
  const auto& h = metrics.Get(3).histogram();
  EXPECT_TRUE(h.data_points(1).has_sum());  // 0.0, set
  EXPECT_EQ(h.data_points(1).sum(), 0.0);
  EXPECT_TRUE(h.data_points(1).has_min());
  EXPECT_FALSE(h.data_points(1).has_max());
  EXPECT_FALSE(h.data_points(2).has_sum());
  EXPECT_FALSE(h.data_points(2).has_min());
  EXPECT_FALSE(h.data_points(2).has_max());
  const auto& e = metrics.Get(4).exponential_histogram();
  EXPECT_FALSE(e.data_points(1).has_sum());
  EXPECT_FALSE(e.data_points(1).has_negative());  // empty buckets: left out
  EXPECT_TRUE(e.data_points(1).has_positive());
}

TEST(OtlpProtoMetrics, EmptyBatchesEncodeToNothing) {
  std::string out = "x";
  encode_export_metrics_request({}, out);
  EXPECT_TRUE(out.empty());
  std::vector<ResourceMetrics> empty(2);
  empty[0].scope_metrics.resize(1);
  empty[0].scope_metrics[0].metrics = {empty_metric("no points")};
  encode_export_metrics_request(empty, out);
  EXPECT_TRUE(out.empty());
}

TEST(OtlpProtoMetrics, ExactBytesOfAGaugePoint) {
  // Hand-assembled from metrics.proto: as_int is sfixed64 (wire type 1), times fixed64.
  std::vector<ResourceMetrics> batch(1);
  batch[0].scope_metrics.resize(1);
  Metric m{"g", "", "", Gauge{}, {}};
  std::get<Gauge>(m.data).data_points.push_back({{}, 0, 1, NumberValue{std::int64_t{-2}}, {}, 0});
  batch[0].scope_metrics[0].metrics = {m};
  std::string out;
  encode_export_metrics_request(batch, out);
  const std::string point(
      "\x19\x01\x00\x00\x00\x00\x00\x00\x00"   // 3 time_unix_nano = 1
      "\x31\xFE\xFF\xFF\xFF\xFF\xFF\xFF\xFF",  // 6 as_int = -2
      18);
  const std::string gauge = "\x0A" + std::string(1, static_cast<char>(point.size())) + point;
  const std::string metric = std::string("\x0A\x01g", 3) + "\x2A" +
                             std::string(1, static_cast<char>(gauge.size())) + gauge;
  const std::string scope = std::string("\x0A\x00", 2) + "\x12" +
                            std::string(1, static_cast<char>(metric.size())) + metric;
  const std::string resource =
      std::string("\x0A\x00", 2) + "\x12" + std::string(1, static_cast<char>(scope.size())) + scope;
  EXPECT_EQ(out, "\x0A" + std::string(1, static_cast<char>(resource.size())) + resource);
}

// ---- logs ---------------------------------------------------------------------------------

TEST(OtlpProtoLogs, ExportLogsServiceRequestDecodesWithLibprotobuf) {
  const auto batch = sample_logs_batch();
  std::string out = "stale";
  encode_export_logs_request(batch, out);
  pb_logs_svc::ExportLogsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));
  expect_logs_batch(batch, req.resource_logs());
  expect_no_unknown_fields(req);
  ASSERT_EQ(req.resource_logs_size(), 2);
  EXPECT_EQ(req.resource_logs(0).scope_logs_size(), 2);
  EXPECT_EQ(req.resource_logs(0).scope_logs(0).log_records_size(), 6);
}

TEST(OtlpProtoLogs, OutputIsCanonical) {
  std::string out;
  encode_export_logs_request(sample_logs_batch(), out);
  expect_canonical<pb_logs_svc::ExportLogsServiceRequest>(out);
}

TEST(OtlpProtoLogs, LogsDataHasTheSameLayout) {
  const auto batch = sample_logs_batch();
  std::string a;
  std::string b;
  encode_export_logs_request(batch, a);
  encode_logs_data(batch, b);
  EXPECT_EQ(a, b);
  pb_logs::LogsData data;
  ASSERT_TRUE(data.ParseFromString(b));
  expect_logs_batch(batch, data.resource_logs());
}

TEST(OtlpProtoLogs, SeverityNumbersMatchTheProtoEnum) {
  EXPECT_EQ(static_cast<int>(SeverityNumber::kTrace), pb_logs::SEVERITY_NUMBER_TRACE);
  EXPECT_EQ(static_cast<int>(SeverityNumber::kDebug), pb_logs::SEVERITY_NUMBER_DEBUG);
  EXPECT_EQ(static_cast<int>(SeverityNumber::kInfo), pb_logs::SEVERITY_NUMBER_INFO);
  EXPECT_EQ(static_cast<int>(SeverityNumber::kWarn), pb_logs::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(static_cast<int>(SeverityNumber::kError), pb_logs::SEVERITY_NUMBER_ERROR);
  EXPECT_EQ(static_cast<int>(SeverityNumber::kError4), pb_logs::SEVERITY_NUMBER_ERROR4);
  EXPECT_EQ(static_cast<int>(SeverityNumber::kFatal), pb_logs::SEVERITY_NUMBER_FATAL);
  EXPECT_EQ(static_cast<int>(SeverityNumber::kFatal4), pb_logs::SEVERITY_NUMBER_FATAL4);
  EXPECT_EQ(static_cast<int>(AggregationTemporality::kDelta),
            pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
  EXPECT_EQ(static_cast<int>(AggregationTemporality::kCumulative),
            pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  EXPECT_EQ(kDataPointNoRecordedValue,
            static_cast<std::uint32_t>(pb_metrics::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK));
}

TEST(OtlpProtoLogs, EmptyBatchesEncodeToNothing) {
  std::string out = "x";
  encode_export_logs_request({}, out);
  EXPECT_TRUE(out.empty());
  std::vector<ResourceLogs> empty(2);
  empty[1].scope_logs.resize(3);
  encode_export_logs_request(empty, out);
  EXPECT_TRUE(out.empty());
}

// ---- responses ----------------------------------------------------------------------------

TEST(OtlpProtoResponse, MetricsAndLogsPartialSuccessFromLibprotobuf) {
  pb_metrics_svc::ExportMetricsServiceResponse mresp;
  EXPECT_TRUE(decode_export_metrics_response(mresp.SerializeAsString()).ok());  // 0 bytes
  mresp.mutable_partial_success()->set_rejected_data_points(42);
  mresp.mutable_partial_success()->set_error_message("cardinality limit \xE2\x9C\x97");
  auto r = decode_export_metrics_response(mresp.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rejected, 42);
  EXPECT_EQ(r->error_message, "cardinality limit \xE2\x9C\x97");

  pb_logs_svc::ExportLogsServiceResponse lresp;
  lresp.mutable_partial_success()->set_rejected_log_records(
      std::numeric_limits<std::int64_t>::max());
  r = decode_export_logs_response(lresp.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rejected, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(r->error_message, "");
  lresp.mutable_partial_success()->set_rejected_log_records(0);  // a warning only
  lresp.mutable_partial_success()->set_error_message("heads up");
  r = decode_export_logs_response(lresp.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->error_message, "heads up");
}

TEST(OtlpProtoResponse, MetricsAndLogsMalformedNameTheirMessage) {
  const std::string bad("\x0A\x05\x08", 3);  // length past the end
  auto m = decode_export_metrics_response(bad);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "bad_response");
  EXPECT_NE(m.error().message.find("ExportMetricsPartialSuccess"), std::string::npos)
      << m.error().message;
  auto l = decode_export_logs_response(std::string("\x0F", 1));
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("ExportLogsServiceResponse"), std::string::npos)
      << l.error().message;
}

}  // namespace
}  // namespace loadgen::otel
