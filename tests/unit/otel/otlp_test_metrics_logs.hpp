// Metric and log batches exercising every field the OTLP encoders write: each metric data kind,
// int and double values at their extremes (0, -0.0, NaN, ±Infinity, INT64_MIN/MAX), optional
// sum/min/max set (0.0 included) and unset, exemplars with and without trace context, negative
// scales and offsets, every body kind, severities at both ends, invalid UTF-8, and the empty
// envelopes encoders must skip. Shared by the protobuf and JSON encoder tests.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "otel/log_data.hpp"
#include "otel/metric_data.hpp"
#include "otlp_test_batch.hpp"
#include "otlp_test_util.hpp"

namespace loadgen::otel::testing {

inline constexpr std::uint64_t kStart = 1'754'000'000'000'000'000ULL;
inline constexpr std::uint64_t kNow = 1'754'000'060'000'000'123ULL;

inline std::vector<Exemplar> sample_exemplars() {
  return {
      Exemplar{
          {{"user.id", i64(7)}}, kNow - 5, NumberValue{0.25}, id_from<8>(0x31), id_from<16>(0x41)},
      Exemplar{{}, kNow - 4, NumberValue{std::int64_t{-3}}, SpanId{}, TraceId{}},  // unsampled
      Exemplar{{}, 0, NumberValue{std::int64_t{0}}, SpanId{}, id_from<16>(0x51)},
  };
}

inline Metric gauge_metric() {
  Metric m{"process.memory.usage", "Resident memory", "By", Gauge{}, {}};
  auto& points = std::get<Gauge>(m.data).data_points;
  points.push_back({{{"state", str("rss")}}, 0, kNow, NumberValue{std::int64_t{123456789}}, {}, 0});
  points.push_back({{},
                    kStart,
                    kNow,
                    NumberValue{std::numeric_limits<double>::quiet_NaN()},
                    sample_exemplars(),
                    kDataPointNoRecordedValue});
  points.push_back({{}, 0, 0, NumberValue{std::int64_t{0}}, {}, 0});  // oneof 0: still written
  points.push_back({{}, 0, 0, NumberValue{0.0}, {}, 0});
  return m;
}

inline Metric counter_metric() {
  Metric m{"http.client.requests", "", "{request}", Sum{}, {}};
  auto& sum = std::get<Sum>(m.data);
  sum.aggregation_temporality = AggregationTemporality::kCumulative;
  sum.is_monotonic = true;
  sum.data_points.push_back({all_kinds_attributes(),
                             kStart,
                             kNow,
                             NumberValue{std::numeric_limits<std::int64_t>::max()},
                             {},
                             0});
  sum.data_points.push_back({{{"error.type", str("timeout")}},
                             kStart,
                             kNow,
                             NumberValue{std::numeric_limits<std::int64_t>::min()},
                             sample_exemplars(),
                             0});
  return m;
}

inline Metric updown_metric() {
  Metric m{"loadgen.users", "Users \xE2\x9C\x93 running", "{user}", Sum{}, {}};
  auto& sum = std::get<Sum>(m.data);
  sum.aggregation_temporality = AggregationTemporality::kDelta;
  sum.is_monotonic = false;
  sum.data_points.push_back({{}, kStart, kNow, NumberValue{-0.0}, {}, 0});
  sum.data_points.push_back(
      {{}, kStart, kNow, NumberValue{-std::numeric_limits<double>::infinity()}, {}, 0});
  return m;
}

inline Metric histogram_metric() {
  Metric m{"http.client.request.duration",
           "Duration of HTTP client requests.",
           "s",
           Histogram{},
           {{"advice", str("explicit")}}};
  auto& h = std::get<Histogram>(m.data);
  h.aggregation_temporality = AggregationTemporality::kDelta;
  HistogramDataPoint full;
  full.attributes = {{"http.request.method", str("GET")}, {"server.port", i64(8080)}};
  full.start_time_unix_nano = kStart;
  full.time_unix_nano = kNow;
  full.count = 10;
  full.sum = 1.75;
  full.bucket_counts = {0, 3, 6, 0, 1};
  full.explicit_bounds = {0.005, 0.1, 1, 1e300};
  full.exemplars = sample_exemplars();
  full.flags = 0;
  full.min = 0.0051;
  full.max = std::numeric_limits<double>::infinity();
  h.data_points.push_back(full);
  HistogramDataPoint zeros;  // sum/min set to 0.0: present; max unset: absent
  zeros.time_unix_nano = kNow;
  zeros.count = std::numeric_limits<std::uint64_t>::max();
  zeros.sum = 0.0;
  zeros.min = -0.0;
  zeros.bucket_counts = {std::numeric_limits<std::uint64_t>::max()};
  h.data_points.push_back(zeros);
  HistogramDataPoint empty;  // only defaults: no sum/min/max, no buckets
  empty.flags = kDataPointNoRecordedValue;
  h.data_points.push_back(empty);
  return m;
}

inline Metric exponential_metric() {
  Metric m{"rpc.duration", "", "ms", ExponentialHistogram{}, {}};
  auto& e = std::get<ExponentialHistogram>(m.data);
  e.aggregation_temporality = AggregationTemporality::kCumulative;
  ExponentialHistogramDataPoint p;
  p.attributes = {{"rpc.system", str("grpc")}};
  p.start_time_unix_nano = kStart;
  p.time_unix_nano = kNow;
  p.count = 21;
  p.sum = 123.5;
  p.scale = -3;
  p.zero_count = 2;
  p.positive = {-5, {1, 0, 7, 300, std::numeric_limits<std::uint64_t>::max()}};
  p.negative = {0, {4}};
  p.flags = 0;
  p.exemplars = sample_exemplars();
  p.min = -12.0;
  p.max = 2000.0;
  p.zero_threshold = 1e-9;
  e.data_points.push_back(p);
  ExponentialHistogramDataPoint q;  // scale 20, offset only, no sum/min/max, zero_threshold -0.0
  q.scale = 20;
  q.positive = {std::numeric_limits<std::int32_t>::min(), {}};
  q.zero_threshold = -0.0;
  e.data_points.push_back(q);
  e.data_points.push_back(ExponentialHistogramDataPoint{});
  return m;
}

inline Metric summary_metric() {
  Metric m{"legacy.latency", "", "s", Summary{}, {}};
  SummaryDataPoint p;
  p.attributes = {{"k", str("v")}};
  p.start_time_unix_nano = kStart;
  p.time_unix_nano = kNow;
  p.count = 4;
  p.sum = 2.5;
  p.quantile_values = {{0.0, 0.1}, {0.5, 0.0}, {0.99, 1.5}, {1.0, 2.0}};
  p.flags = 0;
  std::get<Summary>(m.data).data_points = {p, SummaryDataPoint{}};
  return m;
}

inline Metric empty_metric(const char* name) {  // no data points: not sent
  return Metric{name, "", "", Histogram{}, {}};
}

inline std::vector<ResourceMetrics> sample_metrics_batch() {
  std::vector<ResourceMetrics> batch(3);
  ResourceMetrics& rm = batch[0];
  rm.resource.attributes = {{"service.name", str("loadgen")}, {"process.pid", i64(4242)}};
  rm.resource.dropped_attributes_count = 1;
  rm.resource.schema_url = "https://opentelemetry.io/schemas/1.44.0";
  rm.scope_metrics.resize(3);
  rm.scope_metrics[0].scope = {"loadgen", "0.1.0", {{"scope.attr", boolean(true)}}};
  rm.scope_metrics[0].schema_url = "https://opentelemetry.io/schemas/1.44.0";
  rm.scope_metrics[0].metrics = {gauge_metric(),  counter_metric(),   empty_metric("skipped"),
                                 updown_metric(), histogram_metric(), exponential_metric(),
                                 summary_metric()};
  rm.scope_metrics[1].scope = {"only-empty", "", {}};
  rm.scope_metrics[1].metrics = {empty_metric("a"), Metric{"b", "", "", Gauge{}, {}}};
  rm.scope_metrics[2].metrics = {counter_metric()};
  Metric unspecified{"unspecified.temporality", "", "", Sum{}, {}};  // temporality 0: omitted
  std::get<Sum>(unspecified.data).aggregation_temporality = AggregationTemporality::kUnspecified;
  std::get<Sum>(unspecified.data).data_points.push_back({});
  rm.scope_metrics[2].metrics.push_back(unspecified);
  batch[1].resource.attributes = {{"service.name", str("nothing to send")}};
  batch[1].scope_metrics.resize(1);
  batch[1].scope_metrics[0].metrics = {empty_metric("c")};
  batch[2].scope_metrics.resize(1);
  batch[2].scope_metrics[0].metrics = {gauge_metric()};
  return batch;
}

inline std::vector<ResourceMetrics> sendable_metrics(std::vector<ResourceMetrics> batch) {
  return without_empty(std::move(batch), &ResourceMetrics::scope_metrics, &ScopeMetrics::metrics,
                       [](const Metric& m) {
                         return std::visit([](const auto& d) { return !d.data_points.empty(); },
                                           m.data);
                       });
}

inline LogRecord full_log_record() {
  LogRecord r;
  r.time_unix_nano = kNow;
  r.observed_time_unix_nano = kNow + 1;
  r.severity_number = SeverityNumber::kWarn2;
  r.severity_text = "WARN2";
  r.body = str("request failed: connection refused \"x\"\n\xE2\x9C\x97");
  r.attributes = all_kinds_attributes();
  r.dropped_attributes_count = 2;
  r.flags = 0x01;
  r.trace_id = id_from<16>(0x4b);
  r.span_id = id_from<8>(0x01);
  r.event_name = "loadgen.request.failed";
  return r;
}

inline std::vector<ResourceLogs> sample_logs_batch() {
  std::vector<ResourceLogs> batch(3);
  ResourceLogs& rl = batch[0];
  rl.resource.attributes = {{"service.name", str("loadgen")}};
  rl.resource.schema_url = "https://opentelemetry.io/schemas/1.44.0";
  rl.scope_logs.resize(3);
  rl.scope_logs[0].scope = {"loadgen.client", "1.2.3", {{"k", i64(-1)}}};
  rl.scope_logs[0].schema_url = "https://opentelemetry.io/schemas/1.44.0";
  LogRecord ints;  // no ids, no severity, body int
  ints.observed_time_unix_nano = kNow;
  ints.body = i64(std::numeric_limits<std::int64_t>::min());
  LogRecord array;
  array.severity_number = SeverityNumber::kFatal4;
  array.body = arr({str("a"), dbl(std::numeric_limits<double>::quiet_NaN()), boolean(false)});
  array.span_id = id_from<8>(0x02);  // a span id alone is still written
  LogRecord empty_body;              // body set to "": present
  empty_body.severity_number = SeverityNumber::kTrace;
  empty_body.body = str("");
  LogRecord bad_utf8;
  bad_utf8.severity_text = "bad\xFF";
  bad_utf8.body = str("\xC3 truncated");
  bad_utf8.event_name = "ev\xED\xA0\x80";
  bad_utf8.flags = 0xFFFFFFFF;
  rl.scope_logs[0].log_records = {full_log_record(), ints,     array,
                                  empty_body,        bad_utf8, LogRecord{}};
  rl.scope_logs[1].scope = {"empty-scope", "", {}};  // no records: skipped
  rl.scope_logs[2].log_records = {full_log_record()};
  batch[1].scope_logs.resize(2);  // no records at all: skipped
  batch[2].resource.dropped_attributes_count = 3;
  batch[2].scope_logs.resize(1);
  batch[2].scope_logs[0].log_records = {LogRecord{}};
  return batch;
}

inline std::vector<ResourceLogs> sendable_logs(std::vector<ResourceLogs> batch) {
  return without_empty(std::move(batch), &ResourceLogs::scope_logs, &ScopeLogs::log_records,
                       [](const LogRecord&) { return true; });
}

}  // namespace loadgen::otel::testing
