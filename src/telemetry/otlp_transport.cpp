#include "telemetry/otlp_transport.hpp"

#include <utility>

#include "otel/otlp_json.hpp"
#include "telemetry/otlp_grpc_channel.hpp"
#include "telemetry/otlp_grpc_exporter.hpp"
#include "telemetry/otlp_http_exporter.hpp"

namespace loadgen::telemetry {

const OtlpSignalCodec kTracesCodec{otel::Signal::kTraces, "spans", kGrpcTraceExportMethod,
                                   &otel::decode_export_trace_response,
                                   &otel::decode_export_trace_response_json};

std::unique_ptr<OtlpTransport> make_otlp_transport(client::EventLoop& loop,
                                                   const otel::OtlpExporterConfig& config,
                                                   const OtlpSignalCodec& codec,
                                                   core::LogSink* log, RetryPolicy retry) {
  if (config.protocol == otel::OtlpProtocol::kGrpc) {
    return std::make_unique<OtlpGrpcTransport>(loop, config, codec, log, retry);
  }
  return std::make_unique<OtlpHttpTransport>(loop, config, codec, log, retry);
}

OtlpSpanExporter::OtlpSpanExporter(std::unique_ptr<OtlpTransport> transport)
    : transport_(std::move(transport)) {}

core::Task<ExportResult> OtlpSpanExporter::export_batch(
    const std::vector<otel::ResourceSpans>& batch, Clock::time_point deadline) {
  if (transport_->json()) {
    otel::encode_export_trace_request_json(batch, body_);
  } else {
    otel::encode_export_trace_request(batch, body_);
  }
  ExportResult r = co_await transport_->send(body_, deadline);
  co_return r;
}

}  // namespace loadgen::telemetry
