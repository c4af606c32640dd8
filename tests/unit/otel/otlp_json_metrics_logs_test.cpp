// OTLP/JSON metric and log encoders checked by an independent parser (nlohmann_json): every
// field of the sample batches and the OTLP/JSON type rules (64-bit integers and bucketCounts as
// decimal strings, scale/offset/flags/enums as numbers, hex ids, NaN/Infinity strings, optional
// sum/min/max present exactly when set). Also the metrics/logs JSON response decoders.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "otel/otlp_json.hpp"
#include "otlp_json_expect.hpp"
#include "otlp_test_metrics_logs.hpp"

namespace loadgen::otel {
namespace {

using namespace loadgen::otel::testing;  // NOLINT(google-build-using-namespace)

// A uint64 array member: every element a decimal string.
std::vector<std::uint64_t> u64_strings(const Json& obj, const char* k) {
  std::vector<std::uint64_t> out;
  for (const Json& v : array_or_empty(obj, k)) {
    EXPECT_TRUE(v.is_string()) << k << " elements must be decimal strings";
    out.push_back(std::stoull(v.get<std::string>()));
  }
  return out;
}

// A signed 32-bit member (scale, offset): a JSON number, absent = 0.
std::int32_t i32_number(const Json& obj, const char* k) {
  if (!obj.contains(k)) return 0;
  EXPECT_TRUE(obj[k].is_number_integer()) << k << " must be a JSON number";
  return obj[k].get<std::int32_t>();
}

// oneof value: exactly one of asDouble (number or NaN/Infinity string) / asInt (string).
void expect_number(const NumberValue& want, const Json& got) {
  EXPECT_NE(got.contains("asDouble"), got.contains("asInt")) << got.dump();
  if (const double* d = std::get_if<double>(&want)) {
    ASSERT_TRUE(got.contains("asDouble")) << got.dump();
    expect_same_double(json_double(got["asDouble"]), *d, "asDouble");
  } else {
    ASSERT_TRUE(got.contains("asInt") && got["asInt"].is_string()) << got.dump();
    EXPECT_EQ(got["asInt"].get<std::string>(), std::to_string(std::get<std::int64_t>(want)));
  }
}

void expect_exemplars(const std::vector<Exemplar>& want, const Json& point) {
  const Json& got = array_or_empty(point, "exemplars");
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const Json& e = got[i];
    if (want[i].filtered_attributes.empty()) {
      EXPECT_FALSE(e.contains("filteredAttributes"));
    } else {
      ASSERT_TRUE(e.contains("filteredAttributes"));
      Json as_attrs = {{"attributes", e["filteredAttributes"]}};
      expect_attributes(want[i].filtered_attributes, as_attrs, "exemplar");
    }
    EXPECT_EQ(u64_string(e, "timeUnixNano"), want[i].time_unix_nano);
    expect_number(want[i].value, e);
    expect_optional_id(e, "spanId", want[i].span_id);
    expect_optional_id(e, "traceId", want[i].trace_id);
  }
}

template <class Want>
void expect_point_common(const Want& want, const Json& got) {
  expect_attributes(want.attributes, got, "point");
  EXPECT_EQ(u64_string(got, "startTimeUnixNano"), want.start_time_unix_nano);
  EXPECT_EQ(u64_string(got, "timeUnixNano"), want.time_unix_nano);
  EXPECT_EQ(u32_number(got, "flags"), want.flags);
}

void expect_point(const NumberDataPoint& want, const Json& got) {
  expect_point_common(want, got);
  expect_number(want.value, got);
  expect_exemplars(want.exemplars, got);
}

void expect_point(const HistogramDataPoint& want, const Json& got) {
  expect_point_common(want, got);
  EXPECT_EQ(u64_string(got, "count"), want.count);
  expect_optional_double(got, "sum", want.sum);
  expect_optional_double(got, "min", want.min);
  expect_optional_double(got, "max", want.max);
  EXPECT_EQ(u64_strings(got, "bucketCounts"), want.bucket_counts);
  const Json& bounds = array_or_empty(got, "explicitBounds");
  ASSERT_EQ(bounds.size(), want.explicit_bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i)
    expect_same_double(json_double(bounds[i]), want.explicit_bounds[i], "explicitBounds");
  expect_exemplars(want.exemplars, got);
}

void expect_buckets(const ExponentialBuckets& want, const Json& point, const char* k) {
  if (want.offset == 0 && want.bucket_counts.empty()) {
    EXPECT_FALSE(point.contains(k)) << k;
    return;
  }
  ASSERT_TRUE(point.contains(k) && point[k].is_object()) << k;
  EXPECT_EQ(i32_number(point[k], "offset"), want.offset);
  EXPECT_EQ(u64_strings(point[k], "bucketCounts"), want.bucket_counts);
}

void expect_point(const ExponentialHistogramDataPoint& want, const Json& got) {
  expect_point_common(want, got);
  EXPECT_EQ(u64_string(got, "count"), want.count);
  expect_optional_double(got, "sum", want.sum);
  expect_optional_double(got, "min", want.min);
  expect_optional_double(got, "max", want.max);
  EXPECT_EQ(i32_number(got, "scale"), want.scale);
  EXPECT_EQ(u64_string(got, "zeroCount"), want.zero_count);
  expect_buckets(want.positive, got, "positive");
  expect_buckets(want.negative, got, "negative");
  expect_same_double(double_or_zero(got, "zeroThreshold"), want.zero_threshold, "zeroThreshold");
  expect_exemplars(want.exemplars, got);
}

void expect_point(const SummaryDataPoint& want, const Json& got) {
  expect_point_common(want, got);
  EXPECT_EQ(u64_string(got, "count"), want.count);
  expect_same_double(double_or_zero(got, "sum"), want.sum, "sum");
  const Json& q = array_or_empty(got, "quantileValues");
  ASSERT_EQ(q.size(), want.quantile_values.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    expect_same_double(double_or_zero(q[i], "quantile"), want.quantile_values[i].quantile, "q");
    expect_same_double(double_or_zero(q[i], "value"), want.quantile_values[i].value, "value");
  }
}

template <class Want>
void expect_data(const Want& want, const Json& metric, const char* k) {
  ASSERT_TRUE(metric.contains(k) && metric[k].is_object()) << k << " in " << metric.dump();
  EXPECT_EQ(metric.size(), 1U + metric.contains("name") + metric.contains("description") +
                               metric.contains("unit") + metric.contains("metadata"))
      << "oneof data: one member";
  const Json& d = metric[k];
  const Json& points = array_or_empty(d, "dataPoints");
  ASSERT_EQ(points.size(), want.data_points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    SCOPED_TRACE("point " + std::to_string(i));
    expect_point(want.data_points[i], points[i]);
  }
  if constexpr (requires { want.aggregation_temporality; }) {
    EXPECT_EQ(u32_number(d, "aggregationTemporality"),
              static_cast<std::uint32_t>(want.aggregation_temporality));
  }
  if constexpr (requires { want.is_monotonic; }) {
    EXPECT_EQ(d.value("isMonotonic", false), want.is_monotonic);
  }
}

void expect_metric(const Metric& want, const Json& got) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(str_or_empty(got, "name"), want.name);
  EXPECT_EQ(str_or_empty(got, "description"), sanitized(want.description));
  EXPECT_EQ(str_or_empty(got, "unit"), want.unit);
  if (want.metadata.empty()) {
    EXPECT_FALSE(got.contains("metadata"));
  } else {
    Json as_attrs = {{"attributes", got["metadata"]}};
    expect_attributes(want.metadata, as_attrs, "metadata");
  }
  std::visit(
      [&got](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, Gauge>) {
          expect_data(d, got, "gauge");
        } else if constexpr (std::is_same_v<T, Sum>) {
          expect_data(d, got, "sum");
        } else if constexpr (std::is_same_v<T, Histogram>) {
          expect_data(d, got, "histogram");
        } else if constexpr (std::is_same_v<T, ExponentialHistogram>) {
          expect_data(d, got, "exponentialHistogram");
        } else {
          expect_data(d, got, "summary");
        }
      },
      want.data);
}

void expect_log_record(const LogRecord& want, const Json& got) {
  SCOPED_TRACE(want.event_name);
  EXPECT_EQ(u64_string(got, "timeUnixNano"), want.time_unix_nano);
  EXPECT_EQ(u64_string(got, "observedTimeUnixNano"), want.observed_time_unix_nano);
  EXPECT_EQ(u32_number(got, "severityNumber"), static_cast<std::uint32_t>(want.severity_number));
  EXPECT_EQ(str_or_empty(got, "severityText"), sanitized(want.severity_text));
  ASSERT_EQ(got.contains("body"), want.body.has_value());
  if (want.body) expect_value(*want.body, got["body"], "body");
  expect_attributes(want.attributes, got, "log");
  EXPECT_EQ(u32_number(got, "droppedAttributesCount"), want.dropped_attributes_count);
  EXPECT_EQ(u32_number(got, "flags"), want.flags);
  expect_optional_id(got, "traceId", want.trace_id);
  expect_optional_id(got, "spanId", want.span_id);
  EXPECT_EQ(str_or_empty(got, "eventName"), sanitized(want.event_name));
}

Json encode_metrics(const std::vector<ResourceMetrics>& batch) {
  std::string out = "stale";
  encode_export_metrics_request_json(batch, out);
  EXPECT_EQ(out.find('\n'), std::string::npos);  // one line: a JSON-lines record
  return Json::parse(out);                       // throws (fails the test) on invalid JSON/UTF-8
}

Json encode_logs(const std::vector<ResourceLogs>& batch) {
  std::string out = "stale";
  encode_export_logs_request_json(batch, out);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  return Json::parse(out);
}

TEST(OtlpJsonMetrics, EveryFieldAndTypeRule) {
  const auto batch = sample_metrics_batch();
  const Json j = encode_metrics(batch);
  expect_json_envelopes(sendable_metrics(batch), j, "resourceMetrics", "scopeMetrics", "metrics",
                        &ResourceMetrics::scope_metrics, &ScopeMetrics::metrics, expect_metric);
  ASSERT_EQ(j["resourceMetrics"].size(), 2U);
  EXPECT_EQ(j["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].size(), 6U);
}

TEST(OtlpJsonMetrics, ExactTextOfAHistogram) {
  std::vector<ResourceMetrics> batch(1);
  batch[0].scope_metrics.resize(1);
  Metric m{"d", "", "s", Histogram{}, {}};
  auto& h = std::get<Histogram>(m.data);
  h.aggregation_temporality = AggregationTemporality::kDelta;
  HistogramDataPoint p;
  p.time_unix_nano = 1544712660000000000ULL;
  p.count = 3;
  p.sum = 0.0;
  p.bucket_counts = {1, 2, 0};
  p.explicit_bounds = {0.5, 1};
  p.max = std::numeric_limits<double>::infinity();
  h.data_points = {p};
  batch[0].scope_metrics[0].metrics = {m};
  std::string out;
  encode_export_metrics_request_json(batch, out);
  EXPECT_EQ(
      out,
      R"({"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[{"name":"d",)"
      R"("unit":"s","histogram":{"dataPoints":[{"timeUnixNano":"1544712660000000000",)"
      R"("count":"3","sum":0,"bucketCounts":["1","2","0"],"explicitBounds":[0.5,1],)"
      R"("max":"Infinity"}],"aggregationTemporality":1}}]}]}]})");
}

TEST(OtlpJsonMetrics, ExactTextOfAnExponentialHistogramAndASum) {
  std::vector<ResourceMetrics> batch(1);
  batch[0].scope_metrics.resize(1);
  Metric e{"e", "", "", ExponentialHistogram{}, {}};
  ExponentialHistogramDataPoint p;
  p.scale = -2;
  p.zero_count = 1;
  p.positive = {-3, {5}};
  p.zero_threshold = 0.5;
  std::get<ExponentialHistogram>(e.data).data_points = {p};
  Metric s{"s", "", "", Sum{}, {}};
  std::get<Sum>(s.data).is_monotonic = true;
  Exemplar x{{}, 7, NumberValue{std::int64_t{-9}}, id_from<8>(0xAB), TraceId{}};
  std::get<Sum>(s.data).data_points.push_back({{}, 0, 0, NumberValue{std::int64_t{0}}, {x}, 1});
  batch[0].scope_metrics[0].metrics = {e, s};
  std::string out;
  encode_export_metrics_request_json(batch, out);
  EXPECT_EQ(out,
            R"({"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[)"
            R"({"name":"e","exponentialHistogram":{"dataPoints":[{"scale":-2,"zeroCount":"1",)"
            R"("positive":{"offset":-3,"bucketCounts":["5"]},"zeroThreshold":0.5}],)"
            R"("aggregationTemporality":2}},)"
            R"({"name":"s","sum":{"dataPoints":[{"asInt":"0","exemplars":[{"timeUnixNano":"7",)"
            R"("asInt":"-9","spanId":")" +
                hex(id_from<8>(0xAB)) +
                R"("}],"flags":1}],"aggregationTemporality":2,"isMonotonic":true}}]}]}]})");
}

TEST(OtlpJsonMetrics, EmptyBatch) {
  std::string out;
  encode_export_metrics_request_json({}, out);
  EXPECT_EQ(out, R"({"resourceMetrics":[]})");
  std::vector<ResourceMetrics> empty(1);
  empty[0].scope_metrics.resize(1);
  empty[0].scope_metrics[0].metrics = {empty_metric("x")};
  encode_export_metrics_request_json(empty, out);
  EXPECT_EQ(out, R"({"resourceMetrics":[]})");
}

TEST(OtlpJsonLogs, EveryFieldAndTypeRule) {
  const auto batch = sample_logs_batch();
  const Json j = encode_logs(batch);
  expect_json_envelopes(sendable_logs(batch), j, "resourceLogs", "scopeLogs", "logRecords",
                        &ResourceLogs::scope_logs, &ScopeLogs::log_records, expect_log_record);
  ASSERT_EQ(j["resourceLogs"].size(), 2U);
  EXPECT_EQ(j["resourceLogs"][0]["scopeLogs"][0]["logRecords"].size(), 6U);
}

TEST(OtlpJsonLogs, ExactTextOfALogRecord) {
  std::vector<ResourceLogs> batch(1);
  batch[0].resource.attributes = {{"service.name", str("loadgen")}};
  batch[0].scope_logs.resize(1);
  batch[0].scope_logs[0].scope.name = "loadgen";
  LogRecord r;
  r.time_unix_nano = 1544712660300000000ULL;
  r.observed_time_unix_nano = 1544712660300000001ULL;
  r.severity_number = SeverityNumber::kError;
  r.severity_text = "ERROR";
  r.body = str("boom");
  r.flags = 1;
  r.trace_id = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  r.span_id = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  r.event_name = "e";
  batch[0].scope_logs[0].log_records = {r};
  std::string out;
  encode_export_logs_request_json(batch, out);
  EXPECT_EQ(
      out,
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"loadgen"}}]},)"
      R"("scopeLogs":[{"scope":{"name":"loadgen"},"logRecords":[{"timeUnixNano":"1544712660300000000",)"
      R"("severityNumber":17,"severityText":"ERROR","body":{"stringValue":"boom"},"flags":1,)"
      R"("traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",)"
      R"("observedTimeUnixNano":"1544712660300000001","eventName":"e"}]}]}]})");
}

TEST(OtlpJsonLogs, EmptyBatch) {
  std::string out;
  encode_export_logs_request_json({}, out);
  EXPECT_EQ(out, R"({"resourceLogs":[]})");
}

// ---- responses ----------------------------------------------------------------------------

TEST(OtlpJsonResponse, MetricsAndLogsPartialSuccess) {
  for (const char* ok : {"", "{}", R"({"partialSuccess":{}})"}) {
    EXPECT_TRUE(decode_export_metrics_response_json(ok).ok()) << ok;
    EXPECT_TRUE(decode_export_logs_response_json(ok).ok()) << ok;
  }
  auto r = decode_export_metrics_response_json(
      R"({"partialSuccess":{"rejectedDataPoints":"12","errorMessage":"too many series"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 12);
  EXPECT_EQ(r->error_message, "too many series");
  r = decode_export_metrics_response_json(R"({"partial_success":{"rejected_data_points":3}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 3);
  r = decode_export_logs_response_json(
      R"({"partialSuccess":{"rejectedLogRecords":5,"errorMessage":"x"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 5);
  EXPECT_EQ(r->error_message, "x");
  r = decode_export_logs_response_json(R"({"partial_success":{"rejected_log_records":"4"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 4);
  // Another signal's field is unknown here, and so ignored.
  r = decode_export_logs_response_json(R"({"partialSuccess":{"rejectedSpans":9}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 0);
}

TEST(OtlpJsonResponse, MetricsAndLogsMalformed) {
  for (const char* bad :
       {"{", "[]", R"({"partialSuccess":7})", R"({"partialSuccess":{"rejectedDataPoints":"x"}})",
        R"({"partialSuccess":{"rejectedLogRecords":1.5}})",
        R"({"partialSuccess":{"errorMessage":false}})"}) {
    const auto m = decode_export_metrics_response_json(bad);
    const auto l = decode_export_logs_response_json(bad);
    const std::string s(bad);
    const bool metrics_field = s.find("rejectedLogRecords") == std::string::npos;
    const bool logs_field = s.find("rejectedDataPoints") == std::string::npos;
    EXPECT_EQ(m.ok(), !metrics_field) << bad;
    EXPECT_EQ(l.ok(), !logs_field) << bad;
    if (!m.ok()) {
      EXPECT_EQ(m.error().code, "bad_response");
    }
  }
  const auto m = decode_export_metrics_response_json("[]");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("ExportMetricsServiceResponse"), std::string::npos);
}

}  // namespace
}  // namespace loadgen::otel
