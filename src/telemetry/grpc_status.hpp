// gRPC status codes (grpc/status.h, google.rpc.Code) as plain numbers, and which of them an
// OTLP/gRPC exporter retries (protocol/otlp.md "OTLP/gRPC Response", "OTLP/gRPC Throttling";
// shared/reference/otel.md §b). Pure; no gRPC header, so unit tests and the exporters' headers
// stay free of it.
#pragma once

#include <cstdint>
#include <string_view>

namespace loadgen::telemetry {

enum class GrpcCode : std::int32_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "UNAVAILABLE", ...; "CODE_<n>" is not produced: unknown numbers give "UNKNOWN_CODE".
std::string_view grpc_code_name(std::int32_t code);

// OTLP/gRPC: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are
// retryable; RESOURCE_EXHAUSTED only when the status details carry a google.rpc.RetryInfo (the
// server is throttling, not refusing for good); every other code, and OK, is not.
bool is_retryable_grpc_status(std::int32_t code, bool has_retry_info);

}  // namespace loadgen::telemetry
