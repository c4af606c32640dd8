// Entry and PerSecondCounts: Locust StatsEntry semantics (log, log_error, extend, reset).
#include "stats/entry.hpp"

#include <gtest/gtest.h>

namespace loadgen::stats {
namespace {

TEST(PerSecondCounts, AddInAnyOrderMergeTrim) {
  PerSecondCounts c;
  EXPECT_TRUE(c.empty());
  c.add(100);
  c.add(100, 2);
  c.add(102);
  c.add(101, 5);  // out of order
  c.add(99);
  EXPECT_EQ(c.at(99), 1u);
  EXPECT_EQ(c.at(100), 3u);
  EXPECT_EQ(c.at(101), 5u);
  EXPECT_EQ(c.at(102), 1u);
  EXPECT_EQ(c.at(103), 0u);
  PerSecondCounts d;
  d.add(101, 1);
  d.add(200, 4);
  c.merge(d);
  EXPECT_EQ(c.at(101), 6u);
  EXPECT_EQ(c.at(200), 4u);
  c.trim_before(101);
  EXPECT_EQ(c.at(100), 0u);
  EXPECT_EQ(c.at(101), 6u);
  EXPECT_EQ(c.size(), 3u);
  std::int64_t prev = 0;
  c.for_each([&](std::int64_t s, std::uint64_t) {
    EXPECT_GT(s, prev);
    prev = s;
  });
}

TEST(Entry, LogComputesLocustFields) {
  Entry e;
  e.log(1000, 10, 1000.2);
  e.log(3000, 30, 1000.7);
  e.log(2000, 20, 1001.1);
  e.log_error(1001.1);
  EXPECT_EQ(e.num_requests, 3u);
  EXPECT_EQ(e.num_failures, 1u);
  EXPECT_DOUBLE_EQ(e.start_time, 1000.2);  // first sample, as it was never reset
  EXPECT_DOUBLE_EQ(e.last_request_timestamp, 1001.1);
  EXPECT_DOUBLE_EQ(e.avg_response_time_ms(), 2.0);
  EXPECT_DOUBLE_EQ(e.min_response_time_ms(), 1.0);
  EXPECT_DOUBLE_EQ(e.max_response_time_ms(), 3.0);
  EXPECT_NEAR(e.median_response_time_ms(), 2.0, 0.02);  // bucket midpoint, ≤ 1 % off
  EXPECT_DOUBLE_EQ(e.avg_content_length(), 20.0);
  EXPECT_DOUBLE_EQ(e.fail_ratio(), 1.0 / 3);
  EXPECT_EQ(e.reqs_per_sec.at(1000), 2u);
  EXPECT_EQ(e.reqs_per_sec.at(1001), 1u);
  EXPECT_EQ(e.fails_per_sec.at(1001), 1u);
  EXPECT_DOUBLE_EQ(e.percentile_ms(1.0), 3.0);
  EXPECT_DOUBLE_EQ(e.percentile_ms(0.0), 1.0);
}

TEST(Entry, MedianIsLowerMedianLikeLocust) {
  // stats.py median_from_dict: position (n-1)/2 → for 4 samples, the 2nd.
  Entry e;
  for (std::uint64_t v : {10u, 20u, 30u, 40u}) e.log(v, 0, 1);
  EXPECT_DOUBLE_EQ(e.median_response_time_ms(), 0.020);
  // calculate_response_time_percentile(0.5): k = int(4*0.5) = 2 → the 3rd.
  EXPECT_DOUBLE_EQ(e.percentile_ms(0.5), 0.030);
}

TEST(Entry, EmptyEntryIsAllZero) {
  Entry e;
  EXPECT_EQ(e.avg_response_time_ms(), 0);
  EXPECT_EQ(e.min_response_time_ms(), 0);
  EXPECT_EQ(e.median_response_time_ms(), 0);
  EXPECT_EQ(e.avg_content_length(), 0);
  EXPECT_EQ(e.fail_ratio(), 0);
  e.num_failures = 1;
  EXPECT_EQ(e.fail_ratio(), 1.0);  // Locust: failures without requests
}

TEST(Entry, MergeFollowsLocustExtend) {
  Entry a;
  a.reset(500);
  a.log(5000, 100, 510.5);
  a.log_error(510.5);
  Entry b;
  b.reset(400);
  b.log(1000, 50, 520.0);
  b.log(9000, 50, 505.0);
  Entry empty;

  a.merge(b);
  a.merge(empty);  // start_time 0 and no last timestamp change nothing
  EXPECT_EQ(a.num_requests, 3u);
  EXPECT_EQ(a.num_failures, 1u);
  EXPECT_DOUBLE_EQ(a.start_time, 400);
  EXPECT_DOUBLE_EQ(a.last_request_timestamp, 520.0);
  EXPECT_EQ(a.min_response_time_us, 1000u);
  EXPECT_EQ(a.max_response_time_us, 9000u);
  EXPECT_EQ(a.total_response_time_us, 15000u);
  EXPECT_EQ(a.total_content_length, 200u);
  EXPECT_EQ(a.histogram.count(), 3u);
  EXPECT_EQ(a.reqs_per_sec.at(510), 1u);
  EXPECT_EQ(a.reqs_per_sec.at(520), 1u);
  EXPECT_EQ(a.reqs_per_sec.at(505), 1u);
  EXPECT_EQ(a.fails_per_sec.at(510), 1u);

  // Merging into an entry without requests takes the other's min (Locust: min None).
  Entry c;
  c.reset(450);
  c.merge(b);
  EXPECT_EQ(c.min_response_time_us, 1000u);
  EXPECT_DOUBLE_EQ(c.start_time, 400);
  EXPECT_DOUBLE_EQ(c.last_request_timestamp, 520.0);
}

TEST(Entry, ResetKeepsNamesAndSetsStartTime) {
  Entry e;
  e.method = "GET";
  e.name = "/x";
  e.log(10, 1, 1.5);
  e.log_error(1.5);
  e.reset(77);
  EXPECT_EQ(e.method, "GET");
  EXPECT_EQ(e.name, "/x");
  EXPECT_EQ(e.num_requests, 0u);
  EXPECT_EQ(e.num_failures, 0u);
  EXPECT_EQ(e.histogram.count(), 0u);
  EXPECT_TRUE(e.reqs_per_sec.empty());
  EXPECT_TRUE(e.fails_per_sec.empty());
  EXPECT_DOUBLE_EQ(e.start_time, 77);
  EXPECT_EQ(e.last_request_timestamp, 0);
  e.log(20, 0, 80);
  EXPECT_DOUBLE_EQ(e.start_time, 77);  // not overwritten by the sample
  EXPECT_EQ(e.min_response_time_us, 20u);
}

}  // namespace
}  // namespace loadgen::stats
