#include "telemetry/retry_policy.hpp"

#include <gtest/gtest.h>

#include <string>

#include "telemetry/gzip.hpp"
#include "telemetry_test_util.hpp"

namespace loadgen::telemetry {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(RetryPolicy, BackoffGrowsByOneAndAHalfUpToTheCapWithTwentyPercentJitter) {
  RetryPolicy p;
  core::Rng rng(42);
  const double expected_ms[] = {1000, 1500, 2250, 3375, 5000, 5000, 5000};
  for (std::uint32_t retry = 0; retry < 7; ++retry) {
    for (int k = 0; k < 200; ++k) {
      const double ms = static_cast<double>(backoff_delay(p, retry, rng).count()) / 1e6;
      EXPECT_GE(ms, expected_ms[retry] * 0.8 - 1e-6) << retry;
      EXPECT_LT(ms, expected_ms[retry] * 1.2 + 1e-6) << retry;
    }
  }
}

TEST(RetryPolicy, OnlyThrottlingAndGatewayStatusesAreRetryable) {
  for (int s : {429, 502, 503, 504}) EXPECT_TRUE(is_retryable_http_status(s)) << s;
  for (int s : {400, 401, 403, 404, 408, 413, 500, 501, 505})
    EXPECT_FALSE(is_retryable_http_status(s)) << s;
}

TEST(RetryPolicy, RetryAfterDelaySeconds) {
  EXPECT_EQ(parse_retry_after("1", 0), nanoseconds(seconds(1)));
  EXPECT_EQ(parse_retry_after(" 120 ", 0), nanoseconds(seconds(120)));
  EXPECT_EQ(parse_retry_after("0", 0), nanoseconds(0));
  EXPECT_FALSE(parse_retry_after("", 0));
  EXPECT_FALSE(parse_retry_after("-1", 0));
  EXPECT_FALSE(parse_retry_after("1.5", 0));
  EXPECT_FALSE(parse_retry_after("soon", 0));
}

TEST(RetryPolicy, RetryAfterHttpDateInAllThreeForms) {
  // RFC 9110 §5.6.7's example instant: 784111777 = Sun, 06 Nov 1994 08:49:37 GMT.
  const std::int64_t at = 784111777;
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 30), nanoseconds(seconds(30)));
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", at - 5), nanoseconds(seconds(5)));
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", at - 2), nanoseconds(seconds(2)));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 100), nanoseconds(0));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", at));
}

TEST(Gzip, RoundTripsThroughZlib) {
  std::string in;
  for (int i = 0; i < 1000; ++i) in += "span-" + std::to_string(i) + ";";
  std::string z, back;
  ASSERT_TRUE(gzip_compress(in, z));
  ASSERT_GE(z.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);  // RFC 1952 ID1 ID2
  EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
  EXPECT_LT(z.size(), in.size());
  ASSERT_TRUE(testing::gunzip(z, back));
  EXPECT_EQ(back, in);
  ASSERT_TRUE(gzip_compress("", z));
  ASSERT_TRUE(testing::gunzip(z, back));
  EXPECT_EQ(back, "");
}

}  // namespace
}  // namespace loadgen::telemetry
