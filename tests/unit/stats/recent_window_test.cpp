// Locust's current response-time percentiles (about the last 10 s) in virtual time: the
// RecentWindow on its own, and through the Aggregate as the runner merges once a second.
#include "stats/recent_window.hpp"

#include <gtest/gtest.h>

#include "stats/aggregate.hpp"

namespace loadgen::stats {
namespace {

// One merge per virtual second, like the local runner: `per_second` requests of `us` each.
void run_second(Aggregate& agg, int second, std::uint64_t us, int per_second = 10) {
  Shard shard;
  for (int i = 0; i < per_second; ++i) {
    shard.record("GET", "/a", us, 0, "", second + 0.05 * i);
  }
  agg.merge(shard.take());
}

TEST(RecentWindow, NullUntilACachedSecondIsOldEnough) {
  RecentWindow w;
  w.reset(1000.0);
  EXPECT_FALSE(w.current(1001.9).has_value());  // 1000 is not within [t-18, t-2] = [983, 999]
  ASSERT_TRUE(w.current(1002.0).has_value());   // t-2 = 1000
  EXPECT_TRUE(w.current(1002.0)->empty());      // cached, no request since: Locust's 0
  EXPECT_TRUE(w.current(1018.5).has_value());   // t-18 = 1000
  EXPECT_FALSE(w.current(1019.0).has_value());  // too old
}

TEST(RecentWindow, CountsOnlyWhatCameAfterTheChosenSecond) {
  RecentWindow w;
  w.reset(1000.0);
  double last = 0;
  for (int s = 1000; s < 1030; ++s) {
    Histogram h;
    h.record(s < 1015 ? 100'000 : 10'000, 4);
    w.add(h, last, s + 0.5);
    last = s + 0.5;
  }
  EXPECT_EQ(w.cached_seconds(), RecentWindow::kCacheSize);  // bounded
  // At 1030.2 the state cached at 1020 is chosen: seconds 1021..1029 remain.
  const auto h = w.current(1030.2);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->count(), 9u * 4u);
  EXPECT_EQ(h->min(), 10'000u);
  EXPECT_EQ(h->max(), 10'000u);
}

TEST(RecentWindow, PrefersTheNearestCachedSecondInLocustsOrder) {
  RecentWindow w;
  w.reset(990.0);
  double last = 0;
  // Cached seconds 990, 1000 and 1003 only (requests merged in those seconds).
  for (int s : {1000, 1003}) {
    Histogram h;
    h.record(static_cast<std::uint64_t>(s), 1);
    w.add(h, last, s + 0.1);
    last = s + 0.1;
  }
  Histogram late;
  late.record(7, 1);
  w.add(late, last, last);  // same second: pending, not cached
  // t = 1012: t-10 = 1002 is missing; then 1001, 1003 → 1003 wins over 1000.
  const auto h = w.current(1012.0);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->count(), 1u);
  EXPECT_EQ(h->max(), 7u);
  // t = 1010: t-10 = 1000 exactly: 1003's request and the pending one.
  EXPECT_EQ(w.current(1010.0)->count(), 2u);
}

TEST(RecentWindow, KeepsExactMinAndMaxThroughSparseSlices) {
  RecentWindow w;
  w.reset(1000.0);
  Histogram h;
  h.record(12'345, 1);
  h.record(987'654, 3);
  h.record(50'000, 2);
  w.add(h, 0, 1001.0);
  const auto cur = w.current(1005.0);
  ASSERT_TRUE(cur.has_value());
  EXPECT_EQ(cur->count(), 6u);
  EXPECT_EQ(cur->min(), 12'345u);
  EXPECT_EQ(cur->max(), 987'654u);
  EXPECT_EQ(cur->value_at_quantile(0.5), h.value_at_quantile(0.5));
}

TEST(AggregateCurrentPercentile, FollowsTheLastTenSecondsNotTheRun) {
  Aggregate agg(1000.0);
  EXPECT_FALSE(agg.current_percentile_ms(0.5, 1000.5).has_value());
  for (int s = 1000; s < 1030; ++s) run_second(agg, s, s < 1015 ? 200'000 : 20'000);
  EXPECT_DOUBLE_EQ(*agg.current_percentile_ms(0.5, 1030.3), 20.0);
  EXPECT_DOUBLE_EQ(*agg.current_percentile_ms(0.95, 1030.3), 20.0);
  EXPECT_DOUBLE_EQ(*agg.current_percentile_ms(*agg.entries()[0], 0.95, 1030.3), 20.0);
  // Over the run, half the requests took 200 ms.
  EXPECT_GT(agg.total().percentile_ms(0.95), 190.0);
  // Early in the run, the window reaches back to the start.
  Aggregate early(1000.0);
  run_second(early, 1000, 200'000);
  run_second(early, 1001, 20'000, 30);
  EXPECT_NEAR(*early.current_percentile_ms(0.95, 1002.5), 20.0, 0.2);
  EXPECT_NEAR(*early.current_percentile_ms(0.05, 1002.5), 20.0, 0.2);
}

TEST(AggregateCurrentPercentile, ZeroWhenIdleThenNull) {
  Aggregate agg(1000.0);
  for (int s = 1000; s < 1005; ++s) run_second(agg, s, 5'000);
  EXPECT_DOUBLE_EQ(*agg.current_percentile_ms(0.5, 1008.0), 5.0);
  // No request after 1004: the window since 1004 is empty (0), then no cached second fits.
  EXPECT_DOUBLE_EQ(*agg.current_percentile_ms(0.5, 1014.0), 0.0);
  EXPECT_FALSE(agg.current_percentile_ms(0.5, 1023.0).has_value());
}

TEST(AggregateCurrentPercentile, ResetStartsAFreshWindow) {
  Aggregate agg(1000.0);
  for (int s = 1000; s < 1010; ++s) run_second(agg, s, 300'000);
  agg.reset(1010.0);
  EXPECT_FALSE(agg.current_percentile_ms(0.5, 1011.0).has_value());
  for (int s = 1010; s < 1013; ++s) run_second(agg, s, 3'000);
  EXPECT_DOUBLE_EQ(*agg.current_percentile_ms(0.5, 1013.0), 3.0);
  EXPECT_DOUBLE_EQ(*agg.current_percentile_ms(*agg.entries()[0], 0.99, 1013.0), 3.0);
}

}  // namespace
}  // namespace loadgen::stats
