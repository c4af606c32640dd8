// OtlpGrpcChannel: the OTLP/gRPC channel under OtlpGrpcTransport, for the exporters of all three
// signals (shared/reference/otel.md §b "gRPC"): one HTTP/2 channel to the collector
// and unary calls that send already-encoded protobuf bytes to a full method name and hand back
// the gRPC status, grpc-status-details-bin and the response bytes. No generated code and no
// protobuf runtime: our own encoder writes the messages. gRPC itself stays in the .cpp.
// Thread: open(), call(), cancel_all() and the destructor run on the EventLoop's thread (the
// pipeline's exporter thread). gRPC completes calls on its own threads and posts the
// resumption back to the loop, so an RPC never blocks the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/task.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"

namespace loadgen::telemetry {

// Full method names (HTTP/2 :path) of the OTLP collector services.
inline constexpr std::string_view kGrpcTraceExportMethod =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
inline constexpr std::string_view kGrpcMetricsExportMethod =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
inline constexpr std::string_view kGrpcLogsExportMethod =
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

struct GrpcCallOptions {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool gzip = false;  // grpc-encoding: gzip for the request message
};

struct GrpcCallResult {
  std::int32_t code = 0;  // GrpcCode (telemetry/grpc_status.hpp)
  std::string message;    // grpc-message
  std::string details;    // grpc-status-details-bin: a serialized google.rpc.Status, or empty
  std::string response;   // the response message (code 0 only)
  bool ok() const { return code == 0; }
};

class OtlpGrpcChannel {
 public:
  // A channel to config.endpoint (scheme://host:port, see OtlpExporterConfig): TLS when
  // config.tls, verified against config.certificate_file (else gRPC's default roots), with a
  // client certificate when client_key_file and client_certificate_file are both set;
  // config.headers become metadata (keys lowercased) on every call. Connects lazily.
  // Errors: "bad_value" (endpoint), "unreadable_file" (a PEM file; the message names the
  // variable and the path).
  static core::Result<std::unique_ptr<OtlpGrpcChannel>> open(
      net::EventLoop& loop, const otel::OtlpExporterConfig& config);
  // Cancels calls still in flight and waits (briefly) until gRPC has let go of them. A
  // coroutine must not be suspended in call() when the channel is destroyed.
  ~OtlpGrpcChannel();
  OtlpGrpcChannel(const OtlpGrpcChannel&) = delete;
  OtlpGrpcChannel& operator=(const OtlpGrpcChannel&) = delete;

  // One unary call of `method` with `request` (copied). Resumes on the loop's thread with
  // the outcome; transport failures come back as a gRPC status (UNAVAILABLE, ...). Never throws.
  core::Task<GrpcCallResult> call(std::string_view method, std::string_view request,
                                  GrpcCallOptions options);
  // Cancels every call in flight (they complete with CANCELLED).
  void cancel_all();
  // host:port as handed to gRPC.
  const std::string& target() const;

  struct Impl;

 private:
  explicit OtlpGrpcChannel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loadgen::telemetry
