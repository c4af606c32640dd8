// OTLP span exporter (OTLP/HTTP, make_otlp_transport) against the scripted loopback server: what
// goes on the wire (decoded by libprotobuf / nlohmann_json / zlib, not by our decoders), retries,
// Retry-After, partial success, non-retryable failures, refused connections and hanging collectors.
#include "telemetry/otlp_http_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "otlp_trace_service.pb.h"
#include "rpc_status.pb.h"
#include "telemetry/otlp_transport.hpp"
#include "telemetry_test_util.hpp"
#include "test_server.hpp"

namespace loadgen::telemetry {
namespace {

namespace pb = opentelemetry::proto::collector::trace::v1;
using loadgen::testing::http_reply;
using loadgen::testing::ReceivedRequest;
using loadgen::testing::Reply;
using loadgen::testing::TestServer;
using std::chrono::milliseconds;
using testing::make_batch;
using testing::RecordingLog;
using testing::run_export;

// Spans over OTLP, built as the trace pipeline builds them (make_otlp_transport).
OtlpSpanExporter span_exporter(net::EventLoop& loop, const otel::OtlpExporterConfig& config,
                               core::LogSink* log, RetryPolicy retry = {}) {
  return OtlpSpanExporter(make_otlp_transport(loop, config, kTracesCodec, log, retry));
}

otel::OtlpExporterConfig config_for(const TestServer& server, otel::OtlpProtocol protocol,
                                    bool gzip) {
  otel::OtlpExporterConfig c;
  c.protocol = protocol;
  c.endpoint = server.base_url() + "/v1/traces";
  c.compression = gzip ? otel::OtlpCompression::kGzip : otel::OtlpCompression::kNone;
  c.headers = {{"x-api-key", "secret"}, {"x-tenant", "shop"}};
  c.timeout = milliseconds(10000);
  return c;
}

RetryPolicy fast_retries(std::uint32_t n) {
  RetryPolicy p;
  p.max_retries = n;
  p.initial_backoff = milliseconds(20);
  p.max_backoff = milliseconds(50);
  return p;
}

std::string body_of(const ReceivedRequest& r) {
  if (r.header("Content-Encoding") != "gzip") return r.body;
  std::string out;
  EXPECT_TRUE(testing::gunzip(r.body, out));
  return out;
}

void expect_protobuf_request(const ReceivedRequest& r, std::uint32_t n) {
  EXPECT_EQ(r.header("Content-Type"), "application/x-protobuf");
  pb::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(body_of(r)));
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& rs = req.resource_spans(0);
  ASSERT_GE(rs.resource().attributes_size(), 1);
  EXPECT_EQ(rs.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "loadgen-test");
  ASSERT_EQ(rs.scope_spans_size(), 1);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "loadgen");
  ASSERT_EQ(rs.scope_spans(0).spans_size(), static_cast<int>(n));
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto& s = rs.scope_spans(0).spans(static_cast<int>(i));
    EXPECT_EQ(s.name(), "span-" + std::to_string(i));
    EXPECT_EQ(s.kind(), opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
    EXPECT_EQ(s.trace_id().size(), 16u);
  }
}

class OtlpHttpExporterTest : public ::testing::Test {
 protected:
  net::EventLoop loop_;
  RecordingLog log_;
};

TEST_F(OtlpHttpExporterTest, HttpProtobufPlain) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(200, "", "Content-Type: application/x-protobuf\r\n");
  });
  OtlpSpanExporter exporter =
      span_exporter(loop_, config_for(server, otel::OtlpProtocol::kHttpProtobuf, false), &log_);
  const auto batch = make_batch(3);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.retries, 0u);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/v1/traces");
  EXPECT_EQ(reqs[0].header("Content-Encoding"), "");
  EXPECT_EQ(reqs[0].header("User-Agent"), kExporterUserAgent);
  EXPECT_EQ(reqs[0].header("x-api-key"), "secret");
  EXPECT_EQ(reqs[0].header("x-tenant"), "shop");
  EXPECT_EQ(reqs[0].header("traceparent"), "");  // the exporter does not trace itself
  expect_protobuf_request(reqs[0], 3);
  exporter.shutdown();
}

TEST_F(OtlpHttpExporterTest, HttpProtobufGzip) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, ""); });
  OtlpSpanExporter exporter =
      span_exporter(loop_, config_for(server, otel::OtlpProtocol::kHttpProtobuf, true), &log_);
  const auto batch = make_batch(5);
  EXPECT_TRUE(run_export(loop_, exporter, batch, milliseconds(5000)).ok());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].header("Content-Encoding"), "gzip");
  expect_protobuf_request(reqs[0], 5);
}

void expect_json_request(const ReceivedRequest& r, std::uint32_t n) {
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const auto j = nlohmann::json::parse(body_of(r));
  const auto& rs = j.at("resourceSpans").at(0);
  EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("key"), "service.name");
  const auto& ss = rs.at("scopeSpans").at(0);
  EXPECT_EQ(ss.at("scope").at("name"), "loadgen");
  ASSERT_EQ(ss.at("spans").size(), n);
  EXPECT_EQ(ss.at("spans").at(0).at("name"), "span-0");
  EXPECT_EQ(ss.at("spans").at(0).at("kind"), 3);
  EXPECT_EQ(ss.at("spans").at(0).at("traceId").get<std::string>().size(), 32u);
}

TEST_F(OtlpHttpExporterTest, HttpJsonPlainAndGzip) {
  for (bool gzip : {false, true}) {
    net::EventLoop loop;  // a stopped loop does not run again
    TestServer server([](const ReceivedRequest&) {
      return http_reply(200, "{}", "Content-Type: application/json\r\n");
    });
    OtlpSpanExporter exporter =
        span_exporter(loop, config_for(server, otel::OtlpProtocol::kHttpJson, gzip), &log_);
    const auto batch = make_batch(4);
    EXPECT_TRUE(run_export(loop, exporter, batch, milliseconds(5000)).ok());
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].header("Content-Encoding"), gzip ? "gzip" : "");
    expect_json_request(reqs[0], 4);
  }
}

TEST_F(OtlpHttpExporterTest, RetriesOn503HonouringRetryAfter) {
  std::atomic<int> calls{0};
  TestServer server([&](const ReceivedRequest&) {
    if (++calls <= 2) return http_reply(503, "", "Retry-After: 1\r\n");
    return http_reply(200, "");
  });
  // Computed back-off would be 20 ms: the elapsed time shows Retry-After won.
  OtlpSpanExporter exporter = span_exporter(
      loop_, config_for(server, otel::OtlpProtocol::kHttpProtobuf, false), &log_, fast_retries(5));
  const auto batch = make_batch(2);
  const auto t0 = Clock::now();
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(10000));
  const auto elapsed = Clock::now() - t0;
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.retries, 2u);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_GE(elapsed, milliseconds(1900));
  EXPECT_LT(elapsed, milliseconds(5000));
  for (const auto& req : server.requests()) expect_protobuf_request(req, 2);
}

TEST_F(OtlpHttpExporterTest, GivesUpAfterMaxRetriesWithExactlyNPlusOneAttempts) {
  for (int status : {429, 502, 503, 504}) {
    net::EventLoop loop;  // a stopped loop does not run again
    TestServer server([&](const ReceivedRequest&) { return http_reply(status, ""); });
    OtlpSpanExporter exporter = span_exporter(
        loop, config_for(server, otel::OtlpProtocol::kHttpProtobuf, false), &log_, fast_retries(3));
    const auto batch = make_batch(1);
    const ExportResult r = run_export(loop, exporter, batch, milliseconds(10000));
    EXPECT_EQ(r.code, ExportResult::Code::kRetryableFailure) << status;
    EXPECT_EQ(r.retries, 3u);
    EXPECT_EQ(server.request_count(), 4u) << status;
    EXPECT_NE(r.message.find(std::to_string(status)), std::string::npos) << r.message;
  }
}

TEST_F(OtlpHttpExporterTest, RetryAfterBeyondTheTimeoutStopsRetrying) {
  TestServer server(
      [](const ReceivedRequest&) { return http_reply(429, "", "Retry-After: 30\r\n"); });
  OtlpSpanExporter exporter = span_exporter(
      loop_, config_for(server, otel::OtlpProtocol::kHttpProtobuf, false), &log_, fast_retries(5));
  const auto batch = make_batch(1);
  const auto t0 = Clock::now();
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(2000));
  EXPECT_EQ(r.code, ExportResult::Code::kRetryableFailure);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_LT(Clock::now() - t0, milliseconds(1500));
}

TEST_F(OtlpHttpExporterTest, BadRequestIsNotRetriedAndTheStatusMessageIsReported) {
  google::rpc::Status st;
  st.set_message("span name must not be empty");
  const std::string body = st.SerializeAsString();
  TestServer server([&](const ReceivedRequest&) {
    return http_reply(400, body, "Content-Type: application/x-protobuf\r\n");
  });
  OtlpSpanExporter exporter = span_exporter(
      loop_, config_for(server, otel::OtlpProtocol::kHttpProtobuf, false), &log_, fast_retries(5));
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_EQ(r.code, ExportResult::Code::kFailure);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_NE(r.message.find("400"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("span name must not be empty"), std::string::npos) << r.message;
}

TEST_F(OtlpHttpExporterTest, JsonErrorBodyAndOther5xxAreNotRetried) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(500, R"({"code":13,"message":"storage is full"})",
                      "Content-Type: application/json\r\n");
  });
  OtlpSpanExporter exporter = span_exporter(
      loop_, config_for(server, otel::OtlpProtocol::kHttpJson, false), &log_, fast_retries(5));
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_EQ(r.code, ExportResult::Code::kFailure);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_NE(r.message.find("storage is full"), std::string::npos) << r.message;
}

TEST_F(OtlpHttpExporterTest, PartialSuccessIsLoggedAndNotRetried) {
  pb::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(3);
  resp.mutable_partial_success()->set_error_message("too many attributes");
  const std::string body = resp.SerializeAsString();
  TestServer server([&](const ReceivedRequest&) {
    return http_reply(200, body, "Content-Type: application/x-protobuf\r\n");
  });
  OtlpSpanExporter exporter = span_exporter(
      loop_, config_for(server, otel::OtlpProtocol::kHttpProtobuf, false), &log_, fast_retries(5));
  const auto batch = make_batch(5);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.rejected, 3);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_TRUE(log_.contains("3 spans rejected")) << ::testing::PrintToString(log_.lines());
  EXPECT_TRUE(log_.contains("too many attributes"));
}

TEST_F(OtlpHttpExporterTest, JsonPartialSuccessWithOnlyAMessageIsAWarning) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(200, R"({"partialSuccess":{"errorMessage":"deprecated field"}})",
                      "Content-Type: application/json\r\n");
  });
  OtlpSpanExporter exporter =
      span_exporter(loop_, config_for(server, otel::OtlpProtocol::kHttpJson, false), &log_);
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.rejected, 0);
  EXPECT_TRUE(log_.contains("deprecated field"));
}

TEST_F(OtlpHttpExporterTest, RefusedConnectionsAreRetriedThenReported) {
  otel::OtlpExporterConfig c;
  c.protocol = otel::OtlpProtocol::kHttpProtobuf;
  c.endpoint = "http://127.0.0.1:" + std::to_string(loadgen::testing::unused_port()) + "/v1/traces";
  OtlpSpanExporter exporter = span_exporter(loop_, c, &log_, fast_retries(2));
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_EQ(r.code, ExportResult::Code::kRetryableFailure);
  EXPECT_EQ(r.retries, 2u);
  EXPECT_NE(r.message.find("connect"), std::string::npos) << r.message;
}

TEST_F(OtlpHttpExporterTest, HangingCollectorIsBoundedByTheExportTimeout) {
  TestServer server([](const ReceivedRequest&) { return Reply{"", Reply::After::kHang}; });
  auto c = config_for(server, otel::OtlpProtocol::kHttpProtobuf, false);
  c.timeout = milliseconds(400);  // OTEL_EXPORTER_OTLP_TIMEOUT, retries included
  OtlpSpanExporter exporter = span_exporter(loop_, c, &log_, fast_retries(5));
  const auto batch = make_batch(1);
  const auto t0 = Clock::now();
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(30000));
  const auto elapsed = Clock::now() - t0;
  EXPECT_EQ(r.code, ExportResult::Code::kRetryableFailure);
  EXPECT_GE(elapsed, milliseconds(350));
  EXPECT_LT(elapsed, milliseconds(1500));
}

}  // namespace
}  // namespace loadgen::telemetry
