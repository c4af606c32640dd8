// Which gRPC status codes the OTLP/gRPC exporter retries (otlp.md "OTLP/gRPC Response").
#include "telemetry/grpc_status.hpp"

#include <gtest/gtest.h>

namespace loadgen::telemetry {
namespace {

TEST(GrpcStatus, TransientCodesAreRetryable) {
  for (GrpcCode c : {GrpcCode::kCancelled, GrpcCode::kDeadlineExceeded, GrpcCode::kAborted,
                     GrpcCode::kOutOfRange, GrpcCode::kUnavailable, GrpcCode::kDataLoss}) {
    EXPECT_TRUE(is_retryable_grpc_status(static_cast<std::int32_t>(c), false))
        << static_cast<int>(c);
    EXPECT_TRUE(is_retryable_grpc_status(static_cast<std::int32_t>(c), true))
        << static_cast<int>(c);
  }
}

TEST(GrpcStatus, ResourceExhaustedOnlyWithRetryInfo) {
  const auto code = static_cast<std::int32_t>(GrpcCode::kResourceExhausted);
  EXPECT_FALSE(is_retryable_grpc_status(code, false));
  EXPECT_TRUE(is_retryable_grpc_status(code, true));
}

TEST(GrpcStatus, PermanentCodesOkAndUnknownNumbersAreNot) {
  for (GrpcCode c :
       {GrpcCode::kOk, GrpcCode::kUnknown, GrpcCode::kInvalidArgument, GrpcCode::kNotFound,
        GrpcCode::kAlreadyExists, GrpcCode::kPermissionDenied, GrpcCode::kFailedPrecondition,
        GrpcCode::kUnimplemented, GrpcCode::kInternal, GrpcCode::kUnauthenticated}) {
    EXPECT_FALSE(is_retryable_grpc_status(static_cast<std::int32_t>(c), true))
        << static_cast<int>(c);
  }
  EXPECT_FALSE(is_retryable_grpc_status(-1, true));
  EXPECT_FALSE(is_retryable_grpc_status(17, true));
}

TEST(GrpcStatus, Names) {
  EXPECT_EQ(grpc_code_name(0), "OK");
  EXPECT_EQ(grpc_code_name(8), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(grpc_code_name(14), "UNAVAILABLE");
  EXPECT_EQ(grpc_code_name(16), "UNAUTHENTICATED");
  EXPECT_EQ(grpc_code_name(99), "UNKNOWN_CODE");
}

}  // namespace
}  // namespace loadgen::telemetry
