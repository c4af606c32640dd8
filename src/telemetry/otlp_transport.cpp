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
const OtlpSignalCodec kMetricsCodec{otel::Signal::kMetrics, "data points", kGrpcMetricsExportMethod,
                                    &otel::decode_export_metrics_response,
                                    &otel::decode_export_metrics_response_json};
const OtlpSignalCodec kLogsCodec{otel::Signal::kLogs, "log records", kGrpcLogsExportMethod,
                                 &otel::decode_export_logs_response,
                                 &otel::decode_export_logs_response_json};

std::unique_ptr<OtlpTransport> make_otlp_transport(net::EventLoop& loop,
                                                   const otel::OtlpExporterConfig& config,
                                                   const OtlpSignalCodec& codec, core::LogSink* log,
                                                   RetryPolicy retry) {
  if (config.protocol == otel::OtlpProtocol::kGrpc) {
    return std::make_unique<OtlpGrpcTransport>(loop, config, codec, log, retry);
  }
  return std::make_unique<OtlpHttpTransport>(loop, config, codec, log, retry);
}

void encode_otlp_request(const std::vector<otel::ResourceSpans>& batch, bool json,
                         std::string& out) {
  if (json) {
    otel::encode_export_trace_request_json(batch, out);
  } else {
    otel::encode_export_trace_request(batch, out);
  }
}

void encode_otlp_request(const std::vector<otel::ResourceLogs>& batch, bool json,
                         std::string& out) {
  if (json) {
    otel::encode_export_logs_request_json(batch, out);
  } else {
    otel::encode_export_logs_request(batch, out);
  }
}

void encode_otlp_request(const std::vector<otel::ResourceMetrics>& batch, bool json,
                         std::string& out) {
  if (json) {
    otel::encode_export_metrics_request_json(batch, out);
  } else {
    otel::encode_export_metrics_request(batch, out);
  }
}

}  // namespace loadgen::telemetry
