// OTLP/protobuf encoder checked by an independent decoder: Debian's libprotobuf with our own
// .proto files (tests/support/proto/, written from the OTLP field tables). Also the wire
// writer's edge cases and the response / google.rpc.Status decoders.
#include "otel/otlp_proto.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "otel/protobuf_writer.hpp"
#include "otlp_pb_expect.hpp"
#include "otlp_test_batch.hpp"
#include "otlp_trace_service.pb.h"
#include "rpc_status.pb.h"

namespace loadgen::otel {
namespace {

namespace pb_trace = ::opentelemetry::proto::trace::v1;
namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;
using namespace loadgen::otel::testing;  // NOLINT(google-build-using-namespace)

void expect_span(const SpanData& want, const pb_trace::Span& got) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got.trace_id(), as_bytes(want.trace_id.data(), 16));
  EXPECT_EQ(got.span_id(), as_bytes(want.span_id.data(), 8));
  EXPECT_EQ(got.trace_state(), want.trace_state);
  const bool root = want.parent_span_id == SpanId{};
  EXPECT_EQ(got.parent_span_id(), root ? std::string() : as_bytes(want.parent_span_id.data(), 8));
  EXPECT_EQ(got.name(), sanitized(want.name));
  EXPECT_EQ(static_cast<int>(got.kind()), static_cast<int>(want.kind));
  EXPECT_EQ(got.start_time_unix_nano(), want.start_time_unix_nano);
  EXPECT_EQ(got.end_time_unix_nano(), want.end_time_unix_nano);
  expect_attributes(want.attributes, got.attributes(), "span");
  EXPECT_EQ(got.dropped_attributes_count(), want.dropped_attributes_count);
  ASSERT_EQ(static_cast<std::size_t>(got.events_size()), want.events.size());
  for (std::size_t i = 0; i < want.events.size(); ++i) {
    const auto& e = got.events(static_cast<int>(i));
    EXPECT_EQ(e.time_unix_nano(), want.events[i].time_unix_nano);
    EXPECT_EQ(e.name(), want.events[i].name);
    expect_attributes(want.events[i].attributes, e.attributes(), "event");
    EXPECT_EQ(e.dropped_attributes_count(), want.events[i].dropped_attributes_count);
  }
  EXPECT_EQ(got.dropped_events_count(), want.dropped_events_count);
  ASSERT_EQ(static_cast<std::size_t>(got.links_size()), want.links.size());
  for (std::size_t i = 0; i < want.links.size(); ++i) {
    const auto& l = got.links(static_cast<int>(i));
    EXPECT_EQ(l.trace_id(), as_bytes(want.links[i].trace_id.data(), 16));
    EXPECT_EQ(l.span_id(), as_bytes(want.links[i].span_id.data(), 8));
    EXPECT_EQ(l.trace_state(), want.links[i].trace_state);
    expect_attributes(want.links[i].attributes, l.attributes(), "link");
    EXPECT_EQ(l.dropped_attributes_count(), want.links[i].dropped_attributes_count);
    EXPECT_EQ(l.flags(), want.links[i].flags);
  }
  EXPECT_EQ(got.dropped_links_count(), want.dropped_links_count);
  const bool has_status = want.status_code != StatusCode::kUnset || !want.status_message.empty();
  EXPECT_EQ(got.has_status(), has_status);
  EXPECT_EQ(static_cast<int>(got.status().code()), static_cast<int>(want.status_code));
  EXPECT_EQ(got.status().message(), want.status_message);
  EXPECT_EQ(got.flags(), want.flags);
}

void expect_batch(const std::vector<ResourceSpans>& want_all,
                  const google::protobuf::RepeatedPtrField<pb_trace::ResourceSpans>& got) {
  expect_envelopes(
      without_empty_envelopes(want_all), got, &ResourceSpans::scope_spans, &ScopeSpans::spans,
      [](const pb_trace::ResourceSpans& r) -> const auto& { return r.scope_spans(); },
      [](const pb_trace::ScopeSpans& s) -> const auto& { return s.spans(); }, expect_span);
}

TEST(OtlpProto, ExportTraceServiceRequestDecodesWithLibprotobuf) {
  const auto batch = sample_batch();
  std::string out = "stale bytes from the previous batch";
  encode_export_trace_request(batch, out);
  pb_collector::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));
  expect_batch(batch, req.resource_spans());
  expect_no_unknown_fields(req);
}

TEST(OtlpProto, OutputIsCanonical) {
  std::string out;
  encode_export_trace_request(sample_batch(), out);
  expect_canonical<pb_collector::ExportTraceServiceRequest>(out);
}

TEST(OtlpProto, TracesDataHasTheSameLayout) {
  const auto batch = sample_batch();
  std::string a;
  std::string b;
  encode_export_trace_request(batch, a);
  encode_traces_data(batch, b);
  EXPECT_EQ(a, b);
  pb_trace::TracesData data;
  ASSERT_TRUE(data.ParseFromString(b));
  expect_batch(batch, data.resource_spans());
}

TEST(OtlpProto, EmptyBatchesEncodeToNothing) {
  std::string out = "x";
  encode_export_trace_request({}, out);
  EXPECT_TRUE(out.empty());
  std::vector<ResourceSpans> empty(2);
  empty[0].scope_spans.resize(2);
  encode_export_trace_request(empty, out);
  EXPECT_TRUE(out.empty());
}

TEST(OtlpProto, LengthPrefixesOfEverySize) {
  // Attribute values around the 1/2/3-byte varint boundaries of every nesting level; a batch
  // above 2 MiB makes ResourceSpans/ScopeSpans need a 4-byte length.
  std::vector<ResourceSpans> batch(1);
  batch[0].scope_spans.resize(1);
  auto& spans = batch[0].scope_spans[0].spans;
  for (std::size_t n :
       {0UL, 1UL, 100UL, 120UL, 127UL, 128UL, 200UL, 16'300UL, 16'383UL, 16'384UL, 70'000UL}) {
    SpanData s = task_span();
    s.attributes = {{"v", str(std::string(n, 'x'))}, {"a", arr({str(std::string(n, 'y'))})}};
    spans.push_back(std::move(s));
  }
  for (int i = 0; i < 260; ++i) {
    SpanData s = task_span();
    s.attributes = {{"big", str(std::string(8'000, 'z'))}};
    spans.push_back(std::move(s));
  }
  std::string out;
  encode_export_trace_request(batch, out);
  ASSERT_GT(out.size(), 2'097'152U);
  pb_collector::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));
  expect_batch(batch, req.resource_spans());
  std::string again;
  ASSERT_TRUE(req.SerializeToString(&again));
  EXPECT_EQ(again, out);
}

TEST(OtlpProto, InvalidUtf8BecomesReplacementCharacter) {
  // proto3 strings must be UTF-8: libprotobuf refuses the message otherwise.
  std::vector<ResourceSpans> batch(1);
  batch[0].scope_spans.resize(1);
  SpanData s = task_span();
  s.name = "bad\xFF name\xC3";
  s.attributes = {
      {"k\x80", str("\xED\xA0\x80 surrogate, \xF0\x9F\x98 truncated, \xC0\xAF overlong")}};
  batch[0].scope_spans[0].spans = {s};
  std::string out;
  encode_export_trace_request(batch, out);
  pb_collector::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));
  const auto& span = req.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.name(), "bad\xEF\xBF\xBD name\xEF\xBF\xBD");
  EXPECT_EQ(span.attributes(0).key(), "k\xEF\xBF\xBD");
  // Maximal subparts (Unicode §3.9): ED A0 80 → 3 × U+FFFD (ED must be followed by 80..9F),
  // F0 9F 98 → 1 × U+FFFD, C0 AF → 2 × U+FFFD.
  EXPECT_EQ(span.attributes(0).value().string_value(),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD surrogate, \xEF\xBF\xBD truncated, "
            "\xEF\xBF\xBD\xEF\xBF\xBD overlong");
}

TEST(ProtobufWriter, ScalarEncodings) {
  std::string out;
  ProtobufWriter w(out);
  w.uint64_field(1, 0);
  w.uint64_field(1, 127);
  w.uint64_field(1, 128);
  w.uint64_field(1, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(
      out,
      std::string("\x08\x00\x08\x7F\x08\x80\x01\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 18));
  out.clear();
  w.int64_field(2, -1);  // 10 bytes, two's complement
  EXPECT_EQ(out, std::string("\x10\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 11));
  out.clear();
  w.sint64_field(3, -1);
  w.sint64_field(3, 1);
  w.sint32_field(3, std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(out, std::string("\x18\x01\x18\x02\x18\xFF\xFF\xFF\xFF\x0F", 10));
  out.clear();
  w.fixed32_field(16, 0x01020304);  // tag 16<<3|5 = 133 = 0x85 0x01
  w.fixed64_field(7, 0x0102030405060708ULL);
  w.double_field(4, 1.0);
  EXPECT_EQ(out, std::string("\x85\x01\x04\x03\x02\x01"
                             "\x39\x08\x07\x06\x05\x04\x03\x02\x01"
                             "\x21\x00\x00\x00\x00\x00\x00\xF0\x3F",
                             24));
  out.clear();
  w.tag(536'870'911, WireType::kVarint);  // largest field number: 5-byte tag
  EXPECT_EQ(out, std::string("\xF8\xFF\xFF\xFF\x0F", 5));
  EXPECT_EQ(zigzag64(std::numeric_limits<std::int64_t>::min()),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(varint_size(0), 1U);
  EXPECT_EQ(varint_size(std::numeric_limits<std::uint64_t>::max()), 10U);
}

TEST(ProtobufWriter, NestedLengthsShrinkAndGrow) {
  for (std::size_t reserve : {1UL, 2UL, 3UL, 5UL}) {
    for (std::size_t n : {0UL, 5UL, 127UL, 128UL, 16'383UL, 16'384UL}) {
      std::string out = "pre";
      ProtobufWriter w(out);
      const auto m = w.begin_message(1, reserve);
      out.append(n, 'q');
      w.end_message(m);
      std::string want = "pre\x0A";
      std::string len;
      ProtobufWriter lw(len);
      lw.varint(n);
      want += len + std::string(n, 'q');
      EXPECT_EQ(out, want) << reserve << " " << n;
    }
  }
}

// ---- responses ----------------------------------------------------------------------------

TEST(OtlpProtoResponse, EmptyIsFullSuccess) {
  auto r = decode_export_trace_response("");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->error_message, "");
}

TEST(OtlpProtoResponse, PartialSuccessFromLibprotobuf) {
  pb_collector::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(17);
  resp.mutable_partial_success()->set_error_message("spans too old \xE2\x9C\x97");
  auto r = decode_export_trace_response(resp.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rejected, 17);
  EXPECT_EQ(r->error_message, "spans too old \xE2\x9C\x97");

  resp.mutable_partial_success()->set_rejected_spans(0);  // a warning only
  resp.mutable_partial_success()->set_error_message("heads up");
  r = decode_export_trace_response(resp.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->error_message, "heads up");
}

TEST(OtlpProtoResponse, UnknownFieldsOfEveryWireTypeAreSkipped) {
  // field 9 varint, 10 fixed64, 11 LEN, 12 group (with a nested field), 13 fixed32, then
  // partial_success{rejected=3}, and unknown fields inside partial_success too.
  const std::string bytes(
      "\x48\x96\x01"
      "\x51\x01\x02\x03\x04\x05\x06\x07\x08"
      "\x5A\x03"
      "abc"
      "\x63\x08\x01\x64"
      "\x6D\x01\x02\x03\x04"
      "\x0A\x04\x08\x03\x78\x01",
      32);
  auto r = decode_export_trace_response(bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rejected, 3);
}

TEST(OtlpProtoResponse, MalformedInputIsAnError) {
  for (const std::string& bad : {
           std::string("\x0A", 1),          // length missing
           std::string("\x0A\x05\x08", 3),  // length past the end
           std::string("\x00\x01", 2),      // field 0
           std::string("\x0E", 1),          // wire type 6
           std::string("\x0F", 1),          // wire type 7
           std::string("\x0C", 1),          // stray end-group
           std::string("\x0B\x08\x01", 3),  // group never closed
           std::string("\x0B\x14", 2),      // group closed by another field
           std::string("\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 12),  // 11-byte varint
           std::string("\x0A\x02\x08\xFF", 4),  // truncated varint inside
           std::string("\x09\x01\x02", 3),      // truncated fixed64
       }) {
    auto r = decode_export_trace_response(bad);
    EXPECT_FALSE(r.ok()) << ::testing::PrintToString(bad);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "bad_response");
    }
  }
}

TEST(RpcStatus, CodeMessageAndRetryInfoFromLibprotobuf) {
  google::rpc::Status st;
  st.set_code(14);  // UNAVAILABLE
  st.set_message("collector overloaded");
  google::protobuf::Duration other;  // a detail of another type comes first
  st.add_details()->PackFrom(other);
  google::rpc::RetryInfo ri;
  ri.mutable_retry_delay()->set_seconds(3);
  ri.mutable_retry_delay()->set_nanos(250'000'000);
  st.add_details()->PackFrom(ri);
  EXPECT_EQ(st.details(1).type_url(), kRetryInfoTypeUrl);
  auto r = decode_rpc_status(st.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->code, 14);
  EXPECT_EQ(r->message, "collector overloaded");
  ASSERT_TRUE(r->retry_delay.has_value());
  EXPECT_EQ(*r->retry_delay, std::chrono::milliseconds(3250));
}

TEST(RpcStatus, NoRetryInfoNegativeAndHugeDelays) {
  google::rpc::Status st;
  st.set_code(8);
  auto r = decode_rpc_status(st.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 8);
  EXPECT_FALSE(r->retry_delay.has_value());

  google::rpc::RetryInfo ri;
  ri.mutable_retry_delay()->set_seconds(-5);
  st.add_details()->PackFrom(ri);
  r = decode_rpc_status(st.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->retry_delay, std::chrono::nanoseconds(0));

  st.clear_details();
  ri.mutable_retry_delay()->set_seconds(std::numeric_limits<std::int64_t>::max());
  st.add_details()->PackFrom(ri);
  r = decode_rpc_status(st.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->retry_delay->count(), 0);

  st.set_code(-3);  // int32 negatives are 10-byte varints
  r = decode_rpc_status(st.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, -3);
}

TEST(RpcStatus, Malformed) {
  EXPECT_FALSE(decode_rpc_status(std::string("\x1A\x03\x0A\x05x", 5)).ok());  // bad Any
  EXPECT_FALSE(decode_rpc_status(std::string("\x12\x05hi", 4)).ok());
  EXPECT_TRUE(decode_rpc_status("").ok());
}

}  // namespace
}  // namespace loadgen::otel
