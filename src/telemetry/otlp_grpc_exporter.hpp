// OtlpGrpcTransport: OTLP/gRPC (protocol/exporter.md, otlp.md "OTLP/gRPC") over
// OtlpGrpcChannel: <Signal>Service/Export with our own protobuf encoding, optional gzip, headers as
// metadata, TLS with OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE and mTLS; retries with back-off on
// the retryable status codes, honouring RetryInfo; partial success logged and never retried.
// No gRPC header here (see otlp_grpc_channel.cpp).
// Thread: constructed, used and destroyed on the EventLoop's thread (the pipeline's exporter
// thread).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log_sink.hpp"
#include "core/random.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "telemetry/otlp_grpc_channel.hpp"
#include "telemetry/otlp_transport.hpp"
#include "telemetry/retry_policy.hpp"
#include "telemetry/retrying_transport.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry {

class OtlpGrpcTransport final : public RetryingTransport {
 public:
  // config.protocol is kGrpc. When the channel cannot be set up (an unreadable certificate
  // file, ...) the problem is logged as an error and every export fails with it. `log` may be
  // null.
  OtlpGrpcTransport(net::EventLoop& loop, const otel::OtlpExporterConfig& config,
                    const OtlpSignalCodec& codec, core::LogSink* log, RetryPolicy retry = {});
  ~OtlpGrpcTransport() override;

  bool json() const override { return false; }
  std::string_view name() const override { return "otlp grpc"; }

 private:
  std::string unavailable() const override { return channel_ ? std::string() : open_error_; }
  core::Task<Attempt> attempt(std::string_view payload, Clock::time_point deadline) override;
  void on_shutdown() override;
  void on_cancel() override;
  Attempt on_result(const GrpcCallResult& r);

  const OtlpSignalCodec& codec_;
  core::LogSink* log_;
  std::unique_ptr<OtlpGrpcChannel> channel_;  // null when it could not be set up
  std::string open_error_;
};

}  // namespace loadgen::telemetry
