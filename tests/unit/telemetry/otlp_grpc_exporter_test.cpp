// OTLP span exporter (OTLP/gRPC, make_otlp_transport) without a collector: refused connections are
// retried then reported, a silent peer is bounded by the export timeout, cancel() ends an RPC in
// flight, an unreadable certificate file is named. What a real collector receives is checked by the
// integration tests (tests/integration/test_traces.py, decoded by python3-grpcio/protobuf).
#include "telemetry/otlp_grpc_exporter.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/task.hpp"
#include "loop_runner.hpp"
#include "telemetry/otlp_transport.hpp"
#include "telemetry_test_util.hpp"
#include "test_server.hpp"

namespace loadgen::telemetry {
namespace {

using std::chrono::milliseconds;
using testing::make_batch;
using testing::RecordingLog;
using testing::run_export;

// Spans over OTLP, built as the trace pipeline builds them (make_otlp_transport).
OtlpSpanExporter span_exporter(net::EventLoop& loop, const otel::OtlpExporterConfig& config,
                               core::LogSink* log, RetryPolicy retry = {}) {
  return OtlpSpanExporter(make_otlp_transport(loop, config, kTracesCodec, log, retry));
}

RetryPolicy fast_retries(std::uint32_t n) {
  RetryPolicy p;
  p.max_retries = n;
  p.initial_backoff = milliseconds(20);
  p.max_backoff = milliseconds(50);
  return p;
}

otel::OtlpExporterConfig grpc_config(std::uint16_t port) {
  otel::OtlpExporterConfig c;
  c.protocol = otel::OtlpProtocol::kGrpc;
  c.endpoint = "http://127.0.0.1:" + std::to_string(port);
  c.headers = {{"X-Api-Key", "secret"}};
  c.timeout = milliseconds(10000);
  return c;
}

// A TCP listener nobody accepts on: connections complete in the kernel, then nothing answers
// (no HTTP/2 SETTINGS), so an RPC waits for its deadline.
class SilentPeer {
 public:
  SilentPeer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
  }
  ~SilentPeer() { ::close(fd_); }
  SilentPeer(const SilentPeer&) = delete;
  SilentPeer& operator=(const SilentPeer&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A free function, not a lambda: the frame must not refer to a closure that is gone.
core::Task<void> cancel_after(net::EventLoop* loop, net::Sleeper* sleeper, SpanExporter* e,
                              milliseconds delay) {
  co_await loop->sleep(*sleeper, delay);
  e->cancel();
}

class OtlpGrpcExporterTest : public ::testing::Test {
 protected:
  net::EventLoop loop_;
  RecordingLog log_;
};

TEST_F(OtlpGrpcExporterTest, RefusedConnectionsAreRetriedThenReported) {
  OtlpSpanExporter exporter =
      span_exporter(loop_, grpc_config(loadgen::testing::unused_port()), &log_, fast_retries(2));
  EXPECT_EQ(exporter.name(), "otlp grpc");
  const auto batch = make_batch(3);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_EQ(r.code, ExportResult::Code::kRetryableFailure);
  EXPECT_EQ(r.retries, 2u);
  EXPECT_NE(r.message.find("UNAVAILABLE"), std::string::npos) << r.message;
  exporter.shutdown();
}

TEST_F(OtlpGrpcExporterTest, SilentCollectorIsBoundedByTheExportTimeout) {
  SilentPeer peer;
  auto c = grpc_config(peer.port());
  c.timeout = milliseconds(400);  // OTEL_EXPORTER_OTLP_TIMEOUT, retries included
  OtlpSpanExporter exporter = span_exporter(loop_, c, &log_, fast_retries(5));
  const auto batch = make_batch(1);
  const auto t0 = Clock::now();
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(30000));
  const auto elapsed = Clock::now() - t0;
  EXPECT_EQ(r.code, ExportResult::Code::kRetryableFailure) << r.message;
  EXPECT_GE(elapsed, milliseconds(350));
  EXPECT_LT(elapsed, milliseconds(2000));
}

TEST_F(OtlpGrpcExporterTest, FinalFlushMakesOneAttempt) {
  OtlpSpanExporter exporter =
      span_exporter(loop_, grpc_config(loadgen::testing::unused_port()), &log_, fast_retries(5));
  exporter.final_flush();
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(5000));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.retries, 0u);
}

TEST_F(OtlpGrpcExporterTest, CancelEndsAnRpcInFlightAndLaterExportsFail) {
  SilentPeer peer;
  OtlpSpanExporter exporter =
      span_exporter(loop_, grpc_config(peer.port()), &log_, fast_retries(5));
  const auto batch = make_batch(1);
  ExportResult r;
  net::Sleeper sleeper;
  const auto t0 = Clock::now();
  auto body = [&]() -> core::Task<void> {
    r = co_await exporter.export_batch(batch, Clock::now() + milliseconds(20000));
  };
  // The RPC is in flight (waiting for the silent peer) when cancel() runs.
  loop_.post([&] { core::spawn(cancel_after(&loop_, &sleeper, &exporter, milliseconds(200))); });
  ASSERT_TRUE(loadgen::testing::run_on_loop(loop_, body, std::chrono::seconds(10)));
  EXPECT_LT(Clock::now() - t0, milliseconds(3000));
  EXPECT_EQ(r.code, ExportResult::Code::kFailure);
  EXPECT_NE(r.message.find("cancelled"), std::string::npos) << r.message;
  const ExportResult later = run_export(loop_, exporter, batch, milliseconds(1000));
  EXPECT_EQ(later.code, ExportResult::Code::kFailure);
}

TEST_F(OtlpGrpcExporterTest, UnreadableCertificateFileIsNamedInTheError) {
  auto c = grpc_config(loadgen::testing::unused_port());
  c.endpoint = "https://127.0.0.1:4317";
  c.tls = true;
  c.certificate_file = "/nonexistent/ca.pem";
  OtlpSpanExporter exporter = span_exporter(loop_, c, &log_);
  EXPECT_TRUE(log_.contains("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"));
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(1000));
  EXPECT_EQ(r.code, ExportResult::Code::kFailure);
  EXPECT_NE(r.message.find("/nonexistent/ca.pem"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("OTEL_EXPORTER_OTLP_CERTIFICATE"), std::string::npos) << r.message;
}

TEST_F(OtlpGrpcExporterTest, ClientKeyWithoutCertificateIsAnError) {
  auto c = grpc_config(loadgen::testing::unused_port());
  c.tls = true;
  c.client_key_file = "/etc/hostname";
  OtlpSpanExporter exporter = span_exporter(loop_, c, &log_);
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(1000));
  EXPECT_EQ(r.code, ExportResult::Code::kFailure);
  EXPECT_NE(r.message.find("CLIENT_CERTIFICATE"), std::string::npos) << r.message;
}

TEST_F(OtlpGrpcExporterTest, ExportAfterShutdownFails) {
  OtlpSpanExporter exporter =
      span_exporter(loop_, grpc_config(loadgen::testing::unused_port()), &log_);
  exporter.shutdown();
  const auto batch = make_batch(1);
  const ExportResult r = run_export(loop_, exporter, batch, milliseconds(1000));
  EXPECT_EQ(r.code, ExportResult::Code::kFailure);
}

}  // namespace
}  // namespace loadgen::telemetry
