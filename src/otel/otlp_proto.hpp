// OTLP protobuf encoding of trace batches (ExportTraceServiceRequest, TracesData) and decoding of
// what collectors answer (ExportTraceServiceResponse, google.rpc.Status). Used by the exporter
// thread; pure functions, no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel {

// Appends an opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest (field 1 =
// repeated ResourceSpans) to `out` (cleared first; reuse it across batches to avoid
// allocation). Follows proto3 canonical form: fields in number order, defaults omitted
// (oneof AnyValue members always written), strings made valid UTF-8 (ill-formed → U+FFFD).
// Empty envelopes are not sent (OTLP spec): a ScopeSpans without spans and a ResourceSpans
// without non-empty ScopeSpans are skipped.
void encode_export_trace_request(const std::vector<ResourceSpans>& batch, std::string& out);

// opentelemetry.proto.trace.v1.TracesData: the same layout (field 1), for files.
void encode_traces_data(const std::vector<ResourceSpans>& batch, std::string& out);

// ExportTracePartialSuccess (collector/trace/v1/trace_service.proto). All zero/empty when the
// response had no partial_success (full success). rejected > 0 means that many spans were
// dropped; rejected == 0 with a message is a warning. Never retried (OTLP spec).
struct PartialSuccess {
  std::int64_t rejected = 0;
  std::string error_message;
};

// Decodes an ExportTraceServiceResponse (0 bytes = success). Unknown fields are skipped.
// Errors: code "bad_response" for malformed wire data.
core::Result<PartialSuccess> decode_export_trace_response(std::string_view bytes);

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
