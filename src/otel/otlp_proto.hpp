// OTLP protobuf encoding of trace, metric and log batches (Export{Trace,Metrics,Logs}-
// ServiceRequest, {Traces,Metrics,Logs}Data) and decoding of what collectors answer
// (Export*ServiceResponse, google.rpc.Status). Used by the exporter thread; pure functions, no
// shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "otel/client_span.hpp"
#include "otel/log_data.hpp"
#include "otel/metric_data.hpp"
#include "otel/protobuf_writer.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel {

// Appends an opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest (field 1 =
// repeated ResourceSpans) to `out` (cleared first; reuse it across batches to avoid
// allocation). Follows proto3 canonical form: fields in number order, defaults omitted
// (oneof AnyValue members always written), strings made valid UTF-8 (ill-formed → U+FFFD).
// Empty envelopes are not sent (OTLP spec): a ScopeSpans without spans and a ResourceSpans
// without non-empty ScopeSpans are skipped.
// A scope's compact CLIENT spans (ScopeSpans::client_spans) follow its SpanData spans.
void encode_export_trace_request(const std::vector<ResourceSpans>& batch, std::string& out);

// encode_export_trace_request with memory: the bytes of the CLIENT spans' attributes that do
// not change between requests (http.request.method; server.address, server.port and
// network.protocol.version of an origin; user_agent.original) are encoded once and copied, and
// nothing is allocated per span, nor per batch once the buffers have grown. The same bytes as
// encode_export_trace_request. One per exporter; single-threaded.
class TraceRequestEncoder {
 public:
  void encode(const std::vector<ResourceSpans>& batch, std::string& out);
  // opentelemetry.proto.trace.v1.TracesData (encode_traces_data).
  void encode_traces_data(const std::vector<ResourceSpans>& batch, std::string& out) {
    encode(batch, out);  // the same layout
  }

 private:
  struct Cached {
    std::string key;
    std::uint16_t port = 0;
    std::string bytes;  // encoded Span.attributes fields
  };
  void write_client_spans(ProtobufWriter& w, const ClientSpans& spans, std::size_t first,
                          std::size_t count);
  // agent_kv: the cached user_agent.original attribute, or null when not written.
  void write_client_span(ProtobufWriter& w, const ClientSpans& spans, const ClientSpanRecord& r,
                         const std::string* agent_kv);
  // Makes each text well-formed UTF-8: the ill-formed ones are repaired into sanitized_.
  void repair(std::span<std::string_view> texts);
  // The encoded attributes for key (and port), from `cache`, or encoded and cached on a miss.
  const std::string& cached(std::vector<Cached>& cache, std::size_t& last, std::string_view key,
                            std::uint16_t port);
  const std::string& cache_miss(std::vector<Cached>& cache, std::size_t& last, std::string_view key,
                                std::uint16_t port);

  std::vector<Cached> methods_;  // key: the method; bytes: http.request.method
  std::vector<Cached> origins_;  // key: server.address, port: server.port; bytes: those two and
                                 // network.protocol.version
  std::vector<Cached> agents_;   // key: user_agent.original; bytes: it
  std::size_t last_method_ = 0, last_origin_ = 0, last_agent_ = 0;
  std::size_t next_victim_ = 0;    // a full cache replaces its entries in turn
  std::vector<SpanData> limited_;  // spans with attribute limits that bite go through SpanData
  std::string sanitized_;          // a span's texts that are not well-formed UTF-8, repaired
};

// opentelemetry.proto.trace.v1.TracesData: the same layout (field 1), for files.
void encode_traces_data(const std::vector<ResourceSpans>& batch, std::string& out);

// opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest (field 1 = repeated
// ResourceMetrics), with the same rules as encode_export_trace_request; a Metric without data
// points is not sent either. `optional double` fields (sum, min, max) are written when set, even
// as 0.0; oneof values (as_int / as_double) always.
void encode_export_metrics_request(const std::vector<ResourceMetrics>& batch, std::string& out);
// opentelemetry.proto.metrics.v1.MetricsData: the same layout, for files.
void encode_metrics_data(const std::vector<ResourceMetrics>& batch, std::string& out);

// opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest (field 1 = repeated
// ResourceLogs), with the same rules; all-zero trace_id/span_id are left out, as is an unset body.
void encode_export_logs_request(const std::vector<ResourceLogs>& batch, std::string& out);
// opentelemetry.proto.logs.v1.LogsData: the same layout, for files.
void encode_logs_data(const std::vector<ResourceLogs>& batch, std::string& out);

// Export{Trace,Metrics,Logs}PartialSuccess (collector/<signal>/v1/<signal>_service.proto):
// `rejected` is rejected_spans, rejected_data_points or rejected_log_records. All zero/empty when
// the response had no partial_success (full success). rejected > 0 means that many items were
// dropped; rejected == 0 with a message is a warning. Never retried (OTLP spec).
struct PartialSuccess {
  std::int64_t rejected = 0;
  std::string error_message;
};

// Decode an Export{Trace,Metrics,Logs}ServiceResponse (0 bytes = success). Unknown fields are
// skipped. Errors: code "bad_response" for malformed wire data.
core::Result<PartialSuccess> decode_export_trace_response(std::string_view bytes);
core::Result<PartialSuccess> decode_export_metrics_response(std::string_view bytes);
core::Result<PartialSuccess> decode_export_logs_response(std::string_view bytes);

// google.rpc.Status (google/rpc/status.proto): the body of a failed OTLP/HTTP export and the
// content of gRPC's grpc-status-details-bin. retry_delay comes from a google.rpc.RetryInfo
// (google/rpc/error_details.proto) among `details`; negative delays are clamped to 0.
struct RpcStatus {
  std::int32_t code = 0;  // google.rpc.Code (gRPC status code); OTLP/HTTP leaves it unused
  std::string message;
  std::optional<std::chrono::nanoseconds> retry_delay;
};

inline constexpr std::string_view kRetryInfoTypeUrl = "type.googleapis.com/google.rpc.RetryInfo";

core::Result<RpcStatus> decode_rpc_status(std::string_view bytes);

}  // namespace loadgen::otel
