// OtlpTransport: one OTLP export request, already encoded, sent with the OTLP rules (timeout,
// retries with back-off on the retryable answers, Retry-After / RetryInfo, partial success
// read and never retried). OTLP/HTTP and OTLP/gRPC implement it; each signal's exporter
// (spans, metrics, logs) encodes its batch and hands the bytes to a transport.
// Thread: constructed, used and destroyed on the EventLoop's thread (a pipeline's exporter
// thread).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log_sink.hpp"
#include "core/result.hpp"
#include "core/task.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "otel/otlp_proto.hpp"
#include "telemetry/retry_policy.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry {

inline constexpr std::size_t kMaxRequestBytes = std::size_t{64} << 20;  // protocol/exporter.md

// What differs between the signals on the wire.
struct OtlpSignalCodec {
  otel::Signal signal;
  std::string_view items;        // what a partial success rejects: "spans", "data points", ...
  std::string_view grpc_method;  // e.g. /opentelemetry.proto.collector.trace.v1.TraceService/Export
  core::Result<otel::PartialSuccess> (*decode_proto)(std::string_view);
  core::Result<otel::PartialSuccess> (*decode_json)(std::string_view);
};
extern const OtlpSignalCodec kTracesCodec;
extern const OtlpSignalCodec kMetricsCodec;
extern const OtlpSignalCodec kLogsCodec;

class OtlpTransport {
 public:
  virtual ~OtlpTransport() = default;
  // Whether send() expects OTLP/JSON (http/json) rather than binary protobuf.
  virtual bool json() const = 0;
  // Sends `body`; must finish by `deadline`. Bodies above 64 MiB fail without being sent.
  virtual core::Task<ExportResult> send(const std::string& body, Clock::time_point deadline) = 0;
  virtual void shutdown() = 0;
  virtual void cancel() = 0;       // see Exporter::cancel
  virtual void final_flush() = 0;  // see Exporter::final_flush
  virtual std::string_view name() const = 0;
};

// The transport config.protocol selects (grpc, http/protobuf, http/json).
std::unique_ptr<OtlpTransport> make_otlp_transport(net::EventLoop& loop,
                                                   const otel::OtlpExporterConfig& config,
                                                   const OtlpSignalCodec& codec, core::LogSink* log,
                                                   RetryPolicy retry = {});

// Export<Signal>ServiceRequest of a batch, as OTLP/JSON or binary protobuf.
void encode_otlp_request(const std::vector<otel::ResourceSpans>& batch, bool json,
                         std::string& out);
void encode_otlp_request(const std::vector<otel::ResourceLogs>& batch, bool json, std::string& out);
void encode_otlp_request(const std::vector<otel::ResourceMetrics>& batch, bool json,
                         std::string& out);

// Encodes one signal's batches; for spans it keeps a TraceRequestEncoder (the CLIENT spans'
// repeated attributes encoded once).
template <class Batch>
struct OtlpRequestEncoder {
  void operator()(const std::vector<Batch>& batch, bool json, std::string& out) {
    encode_otlp_request(batch, json, out);
  }
};
template <>
struct OtlpRequestEncoder<otel::ResourceSpans> {
  void operator()(const std::vector<otel::ResourceSpans>& batch, bool json, std::string& out) {
    if (json) {
      encode_otlp_request(batch, json, out);
    } else {
      proto.encode(batch, out);
    }
  }
  otel::TraceRequestEncoder proto;
};

// OTLP exporter of one signal: encodes a batch for its transport and sends it.
template <class Batch>
class OtlpExporter : public Exporter<Batch> {
 public:
  explicit OtlpExporter(std::unique_ptr<OtlpTransport> transport)
      : transport_(std::move(transport)) {}
  core::Task<ExportResult> export_batch(const std::vector<Batch>& batch,
                                        Clock::time_point deadline) override {
    encode_(batch, transport_->json(), body_);
    ExportResult r = co_await transport_->send(body_, deadline);
    co_return r;
  }
  void shutdown() override { transport_->shutdown(); }
  void cancel() override { transport_->cancel(); }
  void final_flush() override { transport_->final_flush(); }
  std::string_view name() const override { return transport_->name(); }

 private:
  std::unique_ptr<OtlpTransport> transport_;
  OtlpRequestEncoder<Batch> encode_;
  std::string body_;
};
using OtlpSpanExporter = OtlpExporter<otel::ResourceSpans>;
using OtlpLogExporter = OtlpExporter<otel::ResourceLogs>;
using OtlpMetricExporter = OtlpExporter<otel::ResourceMetrics>;

}  // namespace loadgen::telemetry
