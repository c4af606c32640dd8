#include "telemetry/grpc_status.hpp"

namespace loadgen::telemetry {

std::string_view grpc_code_name(std::int32_t code) {
  if (code < 0 || code > static_cast<std::int32_t>(GrpcCode::kUnauthenticated))
    return "UNKNOWN_CODE";
  switch (static_cast<GrpcCode>(code)) {
    case GrpcCode::kOk:
      return "OK";
    case GrpcCode::kCancelled:
      return "CANCELLED";
    case GrpcCode::kUnknown:
      return "UNKNOWN";
    case GrpcCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case GrpcCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case GrpcCode::kNotFound:
      return "NOT_FOUND";
    case GrpcCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case GrpcCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case GrpcCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case GrpcCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case GrpcCode::kAborted:
      return "ABORTED";
    case GrpcCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case GrpcCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case GrpcCode::kInternal:
      return "INTERNAL";
    case GrpcCode::kUnavailable:
      return "UNAVAILABLE";
    case GrpcCode::kDataLoss:
      return "DATA_LOSS";
    case GrpcCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN_CODE";
}

bool is_retryable_grpc_status(std::int32_t code, bool has_retry_info) {
  if (code < 0 || code > static_cast<std::int32_t>(GrpcCode::kUnauthenticated)) return false;
  switch (static_cast<GrpcCode>(code)) {
    case GrpcCode::kCancelled:
    case GrpcCode::kDeadlineExceeded:
    case GrpcCode::kAborted:
    case GrpcCode::kOutOfRange:
    case GrpcCode::kUnavailable:
    case GrpcCode::kDataLoss:
      return true;
    case GrpcCode::kResourceExhausted:
      return has_retry_info;
    case GrpcCode::kOk:
    case GrpcCode::kUnknown:
    case GrpcCode::kInvalidArgument:
    case GrpcCode::kNotFound:
    case GrpcCode::kAlreadyExists:
    case GrpcCode::kPermissionDenied:
    case GrpcCode::kFailedPrecondition:
    case GrpcCode::kUnimplemented:
    case GrpcCode::kInternal:
    case GrpcCode::kUnauthenticated:
      return false;
  }
  return false;
}

}  // namespace loadgen::telemetry
