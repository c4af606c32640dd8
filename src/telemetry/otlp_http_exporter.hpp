// OtlpHttpTransport: OTLP/HTTP (protocol/exporter.md, otlp.md "OTLP/HTTP") over our own
// HTTP client, binary protobuf or JSON, optional gzip, retries with back-off on 429/502/503/504
// and transport errors (honouring Retry-After), partial success logged and never retried.
// Thread: constructed, used and destroyed on the EventLoop's thread (the pipeline's exporter
// thread).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "client/config.hpp"
#include "client/http_client.hpp"
#include "core/log_sink.hpp"
#include "core/random.hpp"
#include "core/version.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "telemetry/otlp_transport.hpp"
#include "telemetry/retry_policy.hpp"
#include "telemetry/retrying_transport.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry {

// protocol/exporter.md "User Agent": OTLP exporters SHOULD send a User-Agent naming the exporter,
// its language and its version, in the form `OTel-OTLP-Exporter-<language>/<version>` (RFC 9110
// product token). Our exporter is our own C++ SDK subset: language `Cpp` (telemetry.sdk.language
// `cpp`, written as the C++ SDK writes it), version = loadgen's (core::kVersion), the same as the
// scope version and telemetry.sdk.version. The gRPC exporter sends it as its user-agent prefix.
inline constexpr std::string_view kExporterUserAgent = "OTel-OTLP-Exporter-Cpp/0.1.0";
static_assert(kExporterUserAgent.ends_with(core::kVersion), "one version everywhere");

class OtlpHttpTransport final : public RetryingTransport {
 public:
  // config.protocol must be kHttpProtobuf or kHttpJson. `log` may be null.
  OtlpHttpTransport(net::EventLoop& loop, const otel::OtlpExporterConfig& config,
                    const OtlpSignalCodec& codec, core::LogSink* log, RetryPolicy retry = {});
  ~OtlpHttpTransport() override;

  bool json() const override { return config_.protocol == otel::OtlpProtocol::kHttpJson; }
  std::string_view name() const override { return name_; }

 private:
  std::string_view payload(const std::string& body, std::string& error) override;
  core::Task<Attempt> attempt(std::string_view payload, Clock::time_point deadline) override;
  void on_shutdown() override;
  void on_cancel() override;
  ExportResult on_response(const client::Response& r);

  const OtlpSignalCodec& codec_;
  core::LogSink* log_;
  client::ClientConfig client_config_;
  std::unique_ptr<client::HttpClient> client_;
  std::string name_;
  std::vector<http::Header> headers_;  // point into config_.headers and string literals
  std::string compressed_;
};

}  // namespace loadgen::telemetry
