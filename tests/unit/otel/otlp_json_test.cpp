// OTLP/JSON encoder checked by an independent parser (nlohmann_json): every field of the sample
// batch and every OTLP/JSON type rule (hex ids, enums as integers, 64-bit ints as strings,
// lowerCamelCase keys, NaN/Infinity strings, escaping, U+FFFD). Also the JSON response decoders.
#include "otel/otlp_json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "otel/protobuf_writer.hpp"
#include "otlp_json_expect.hpp"
#include "otlp_test_batch.hpp"

namespace loadgen::otel {
namespace {

using namespace loadgen::otel::testing;  // NOLINT(google-build-using-namespace)

void expect_span(const SpanData& want, const Json& got) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got["traceId"], hex(want.trace_id));
  EXPECT_EQ(got["spanId"], hex(want.span_id));
  EXPECT_EQ(str_or_empty(got, "traceState"), want.trace_state);
  if (want.parent_span_id == SpanId{}) {
    EXPECT_FALSE(got.contains("parentSpanId"));
  } else {
    EXPECT_EQ(got["parentSpanId"], hex(want.parent_span_id));
  }
  EXPECT_EQ(str_or_empty(got, "name"), want.name);
  EXPECT_EQ(u32_number(got, "kind"), static_cast<std::uint32_t>(want.kind));  // enum as integer
  EXPECT_EQ(u64_string(got, "startTimeUnixNano"), want.start_time_unix_nano);
  EXPECT_EQ(u64_string(got, "endTimeUnixNano"), want.end_time_unix_nano);
  expect_attributes(want.attributes, got, "span");
  EXPECT_EQ(u32_number(got, "droppedAttributesCount"), want.dropped_attributes_count);
  const std::size_t n_events = got.contains("events") ? got["events"].size() : 0;
  ASSERT_EQ(n_events, want.events.size());
  for (std::size_t i = 0; i < n_events; ++i) {
    const Json& e = got["events"][i];
    EXPECT_EQ(u64_string(e, "timeUnixNano"), want.events[i].time_unix_nano);
    EXPECT_EQ(str_or_empty(e, "name"), want.events[i].name);
    expect_attributes(want.events[i].attributes, e, "event");
    EXPECT_EQ(u32_number(e, "droppedAttributesCount"), want.events[i].dropped_attributes_count);
  }
  EXPECT_EQ(u32_number(got, "droppedEventsCount"), want.dropped_events_count);
  const std::size_t n_links = got.contains("links") ? got["links"].size() : 0;
  ASSERT_EQ(n_links, want.links.size());
  for (std::size_t i = 0; i < n_links; ++i) {
    const Json& l = got["links"][i];
    EXPECT_EQ(l["traceId"], hex(want.links[i].trace_id));
    EXPECT_EQ(l["spanId"], hex(want.links[i].span_id));
    EXPECT_EQ(str_or_empty(l, "traceState"), want.links[i].trace_state);
    expect_attributes(want.links[i].attributes, l, "link");
    EXPECT_EQ(u32_number(l, "droppedAttributesCount"), want.links[i].dropped_attributes_count);
    EXPECT_EQ(u32_number(l, "flags"), want.links[i].flags);
  }
  EXPECT_EQ(u32_number(got, "droppedLinksCount"), want.dropped_links_count);
  const bool has_status = want.status_code != StatusCode::kUnset || !want.status_message.empty();
  EXPECT_EQ(got.contains("status"), has_status);
  if (has_status) {
    EXPECT_EQ(u32_number(got["status"], "code"), static_cast<std::uint32_t>(want.status_code));
    EXPECT_EQ(str_or_empty(got["status"], "message"), want.status_message);
  }
  EXPECT_EQ(u32_number(got, "flags"), want.flags);
}

TEST(OtlpJson, EveryFieldAndTypeRule) {
  const auto batch = sample_batch();
  std::string out = "stale";
  encode_export_trace_request_json(batch, out);
  EXPECT_EQ(out.find('\n'), std::string::npos);  // one line: usable as a JSON-lines record
  const Json j = Json::parse(out);               // throws (fails the test) on invalid JSON or UTF-8
  expect_json_envelopes(without_empty_envelopes(batch), j, "resourceSpans", "scopeSpans", "spans",
                        &ResourceSpans::scope_spans, &ScopeSpans::spans, expect_span);
}

TEST(OtlpJson, ExactTextOfASmallSpan) {
  std::vector<ResourceSpans> batch(1);
  batch[0].resource.attributes = {{"service.name", str("loadgen")}};
  batch[0].scope_spans.resize(1);
  batch[0].scope_spans[0].scope.name = "loadgen";
  SpanData s = bare_span(SpanKind::kClient);
  s.trace_id = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  s.span_id = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  s.name = "GET";
  s.start_time_unix_nano = 1544712660000000000ULL;
  s.end_time_unix_nano = 1544712661000000000ULL;
  s.attributes = {
      {"http.response.status_code", i64(503)}, {"ratio", dbl(0.25)}, {"ok", boolean(false)}};
  s.status_code = StatusCode::kError;
  s.flags = 0x101;
  batch[0].scope_spans[0].spans = {s};
  std::string out;
  encode_export_trace_request_json(batch, out);
  EXPECT_EQ(
      out,
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"loadgen"}}]},)"
      R"("scopeSpans":[{"scope":{"name":"loadgen"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736",)"
      R"("spanId":"00f067aa0ba902b7","name":"GET","kind":3,"startTimeUnixNano":"1544712660000000000",)"
      R"("endTimeUnixNano":"1544712661000000000","attributes":[{"key":"http.response.status_code",)"
      R"("value":{"intValue":"503"}},{"key":"ratio","value":{"doubleValue":0.25}},{"key":"ok",)"
      R"("value":{"boolValue":false}}],"status":{"code":2},"flags":257}]}]}]})");
}

TEST(OtlpJson, EmptyBatch) {
  std::string out;
  encode_export_trace_request_json({}, out);
  EXPECT_EQ(out, R"({"resourceSpans":[]})");
}

// ---- responses ----------------------------------------------------------------------------

TEST(OtlpJsonResponse, SuccessAndPartialSuccess) {
  for (const char* ok : {"", "  \n", "{}", R"({"partialSuccess":{}})", R"({"unknown":[1,2]})"}) {
    auto r = decode_export_trace_response_json(ok);
    ASSERT_TRUE(r.ok()) << ok;
    EXPECT_EQ(r->rejected, 0);
    EXPECT_EQ(r->error_message, "");
  }
  auto r = decode_export_trace_response_json(
      R"({"partialSuccess":{"rejectedSpans":"12","errorMessage":"too old"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 12);
  EXPECT_EQ(r->error_message, "too old");
  r = decode_export_trace_response_json(
      R"({"partial_success":{"rejected_spans":3}})");  // numbers, snake_case
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 3);
  r = decode_export_trace_response_json(R"({"partialSuccess":{"errorMessage":"warning only"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->error_message, "warning only");
}

TEST(OtlpJsonResponse, Malformed) {
  for (const char* bad :
       {"{", "[]", "null", "42", R"({"partialSuccess":[]})",
        R"({"partialSuccess":{"rejectedSpans":"x"}})",
        R"({"partialSuccess":{"rejectedSpans":"1x"}})",
        R"({"partialSuccess":{"rejectedSpans":1.5}})", R"({"partialSuccess":{"errorMessage":7}})",
        "{\"partialSuccess\":{\"errorMessage\":\"\xFF\"}}"}) {
    auto r = decode_export_trace_response_json(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "bad_response");
    }
  }
}

TEST(OtlpJsonStatus, CodeMessageRetryDelay) {
  auto r = decode_rpc_status_json(
      R"({"code":14,"message":"overloaded","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"x"},)"
      R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.500s"}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->code, 14);
  EXPECT_EQ(r->message, "overloaded");
  ASSERT_TRUE(r->retry_delay.has_value());
  EXPECT_EQ(*r->retry_delay, std::chrono::milliseconds(1500));

  r = decode_rpc_status_json(R"({"message":"no code"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 0);
  EXPECT_FALSE(r->retry_delay.has_value());

  r = decode_rpc_status_json(
      R"({"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"-2s"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->retry_delay, std::chrono::nanoseconds(0));

  r = decode_rpc_status_json(
      R"({"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->retry_delay, std::chrono::seconds(3));

  for (
      const char* bad :
      {"", "[]", R"({"code":"x"})", R"({"details":{}})",
       R"({"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.s"}]})",
       R"({"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"5"}]})",
       R"({"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.0000000001s"}]})"}) {
    EXPECT_FALSE(decode_rpc_status_json(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace loadgen::otel
