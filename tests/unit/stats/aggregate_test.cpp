// Aggregate: merging shard deltas, Locust's current_rps / total_rps with fake wall times, reset.
#include "stats/aggregate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::stats {
namespace {

TEST(Aggregate, MergesEntriesAndTotal) {
  Aggregate agg(1000.0);
  Shard w1, w2;
  w1.record("GET", "/b", 2000, 100, "", 1000.5);
  w1.record("GET", "/a", 4000, 100, "err", 1001.5);
  w2.record("GET", "/a", 1000, 300, "", 1002.5);
  w2.record("POST", "/a", 1000, 0, "err", 1002.6);
  agg.merge(w1.take());
  agg.merge(w2.take());

  auto entries = agg.entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]->name, "/a");  // sorted by (name, method)
  EXPECT_EQ(entries[0]->method, "GET");
  EXPECT_EQ(entries[1]->method, "POST");
  EXPECT_EQ(entries[2]->name, "/b");
  EXPECT_EQ(entries[0]->num_requests, 2u);
  EXPECT_EQ(entries[0]->num_failures, 1u);
  EXPECT_EQ(entries[0]->min_response_time_us, 1000u);
  EXPECT_EQ(entries[0]->max_response_time_us, 4000u);

  const Entry& t = agg.total();
  EXPECT_EQ(t.name, "Aggregated");
  EXPECT_EQ(t.method, "");
  EXPECT_EQ(t.num_requests, 4u);
  EXPECT_EQ(t.num_failures, 2u);
  EXPECT_EQ(t.total_content_length, 500u);
  EXPECT_DOUBLE_EQ(t.start_time, 1000.0);
  EXPECT_DOUBLE_EQ(t.last_request_timestamp, 1002.6);
  EXPECT_EQ(t.histogram.count(), 4u);
  EXPECT_EQ(agg.errors().total(), 2u);
  EXPECT_EQ(agg.errors().size(), 2u);
}

TEST(Aggregate, IterationRowsStayOutOfTheTotal) {
  // The open model's ITER rows (docs/load-models.md): rows of their own, not requests.
  Aggregate agg(1000.0);
  Shard w;
  w.record("GET", "/a", 1000, 10, "", 1000.5);
  w.record(kIterationMethod, "browse", 2'000'000, 0, "", 1000.6);
  agg.merge(w.take());
  ASSERT_EQ(agg.entries().size(), 2u);
  EXPECT_EQ(agg.entries()[1]->method, "ITER");
  EXPECT_EQ(agg.entries()[1]->num_requests, 1u);
  EXPECT_EQ(agg.entries()[1]->max_response_time_us, 2'000'000u);
  EXPECT_EQ(agg.total().num_requests, 1u);
  EXPECT_EQ(agg.total().max_response_time_us, 1000u);
  EXPECT_DOUBLE_EQ(agg.total().last_request_timestamp, 1000.5);
}

// Iterations that send no request: the ITER row's rates run to its own last iteration (the
// total has no request to measure to), and its per-second counts are trimmed.
TEST(Aggregate, IterationRowsWithoutRequestsHaveRates) {
  Aggregate agg(1000.0);
  Shard w;
  for (int s = 0; s < 100; ++s) {
    for (int i = 0; i < 4; ++i) w.record(kIterationMethod, "think", 1000, 0, "", 1000.1 + s);
  }
  agg.merge(w.take());
  ASSERT_EQ(agg.entries().size(), 1u);
  const Entry& iter = *agg.entries()[0];
  EXPECT_DOUBLE_EQ(agg.total().last_request_timestamp, 0);
  EXPECT_DOUBLE_EQ(agg.current_rps(iter), 4.0);
  EXPECT_NEAR(agg.total_rps(iter), 400 / 99.1, 1e-9);
  EXPECT_LE(iter.reqs_per_sec.size(), static_cast<std::size_t>(Aggregate::kPerSecondWindow) + 1);
}

TEST(Aggregate, CurrentRpsIsLocustsTenSecondWindow) {
  Aggregate agg(1000.0);
  Shard shard;
  // 5 requests in each second 1000..1019, then one at 1020.5.
  for (int s = 1000; s < 1020; ++s) {
    for (int i = 0; i < 5; ++i) shard.record("GET", "/", 10, 0, i == 0 ? "e" : "", s + 0.1 * i);
  }
  shard.record("GET", "/", 10, 0, "", 1020.5);
  agg.merge(shard.take());
  // last_ts = 1020.5 → window [max(1008, 1000), 1018) = 10 seconds of 5.
  EXPECT_DOUBLE_EQ(agg.current_rps(agg.total()), 5.0);
  EXPECT_DOUBLE_EQ(agg.current_fail_per_sec(agg.total()), 1.0);
  EXPECT_DOUBLE_EQ(agg.current_rps(*agg.entries()[0]), 5.0);
  // total_rps = 101 / (1020.5 - 1000).
  EXPECT_DOUBLE_EQ(agg.total_rps(agg.total()), 101 / 20.5);
  EXPECT_DOUBLE_EQ(agg.total_fail_per_sec(agg.total()), 20 / 20.5);
}

TEST(Aggregate, CurrentRpsEarlyInTheRun) {
  Aggregate agg(1000.7);
  Shard shard;
  shard.record("GET", "/", 10, 0, "", 1000.9);
  shard.record("GET", "/", 10, 0, "", 1001.2);
  shard.record("GET", "/", 10, 0, "", 1002.2);
  agg.merge(shard.take());
  // last 1002 → window [1000, 1000) is empty → 0 (Locust avg of []).
  EXPECT_EQ(agg.current_rps(agg.total()), 0);
  shard.record("GET", "/", 10, 0, "", 1004.0);
  agg.merge(shard.take());
  // window [1000, 1002): counts 1 and 1 → 1.0; a second with no request counts as 0.
  EXPECT_DOUBLE_EQ(agg.current_rps(agg.total()), 1.0);
  Aggregate fresh(5);
  EXPECT_EQ(fresh.current_rps(fresh.total()), 0);
  EXPECT_EQ(fresh.total_rps(fresh.total()), 0);
}

TEST(Aggregate, PerSecondCountsAreTrimmed) {
  Aggregate agg(1.0);
  Shard shard;
  for (int s = 1; s < 200; ++s) shard.record("GET", "/", 10, 0, "", s);
  agg.merge(shard.take());
  EXPECT_LE(agg.total().reqs_per_sec.size(),
            static_cast<std::size_t>(Aggregate::kPerSecondWindow + 1));
  EXPECT_DOUBLE_EQ(agg.current_rps(agg.total()), 1.0);
}

TEST(Aggregate, ResetKeepsRowsZeroed) {
  Aggregate agg(1.0);
  Shard shard;
  shard.record("GET", "/", 10, 0, "e", 2.0);
  agg.merge(shard.take());
  agg.reset(50.0);
  ASSERT_EQ(agg.entries().size(), 1u);
  EXPECT_EQ(agg.entries()[0]->num_requests, 0u);
  EXPECT_DOUBLE_EQ(agg.entries()[0]->start_time, 50.0);
  EXPECT_EQ(agg.total().num_requests, 0u);
  EXPECT_DOUBLE_EQ(agg.total().start_time, 50.0);
  EXPECT_EQ(agg.total().name, "Aggregated");
  EXPECT_TRUE(agg.errors().empty());
}

TEST(Aggregate, BoundsNamesAcrossShards) {
  Aggregate agg(1.0, 2);
  Shard a, b;
  a.record("GET", "/1", 10, 0, "", 2.0);
  a.record("GET", "/2", 10, 0, "", 2.0);
  b.record("GET", "/3", 10, 0, "boom", 2.0);
  agg.merge(a.take());
  agg.merge(b.take());
  auto entries = agg.entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]->name, "(other)");
  auto rows = agg.errors().rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "(other)");
  EXPECT_EQ(agg.total().num_requests, 3u);
}

}  // namespace
}  // namespace loadgen::stats
