// HistorySampler: a point per collection with rates over the point's span, the span counters
// per second and the busiest loop's CPU share; a stats reset or a new run clears the series.
#include "app/history_sampler.hpp"

#include <gtest/gtest.h>

#include "stats/shard.hpp"

namespace loadgen::app {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

struct Sampler : ::testing::Test {
  // `n` requests (`failed` of them failures) of `us` microseconds recorded at wall second `at`.
  void record(int n, int failed, double at, std::uint64_t us = 10'000) {
    stats::Shard shard;
    for (int i = 0; i < n; ++i) shard.record("GET", "/", us, 0, i < failed ? "err" : "", at);
    agg.merge(shard.take());
  }
  void sample(std::int64_t second, std::uint64_t exported, std::vector<std::int64_t> cpu) {
    sampler.sample(HistorySampler::Sample{.wall_s = 1000.0 + static_cast<double>(second),
                                          .mono_ns = second * kSecond,
                                          .users = 4,
                                          .stats = &agg,
                                          .spans_exported = exported,
                                          .spans_dropped = exported / 10,
                                          .worker_cpu_ns = std::move(cpu)},
                   history);
  }

  stats::Aggregate agg{1000.0};
  stats::History history{64};
  HistorySampler sampler;
};

TEST_F(Sampler, RatesOverThePoint) {
  sample(0, 0, {0, 0});  // the baseline
  EXPECT_TRUE(history.all().empty());
  record(20, 5, 1000.5);
  sample(2, 100, {kSecond / 2, 3 * kSecond / 2});
  const auto pts = history.all();
  ASSERT_EQ(pts.size(), 1u);
  const stats::HistoryPoint& p = pts[0];
  EXPECT_DOUBLE_EQ(p.t, 1002);
  EXPECT_DOUBLE_EQ(p.span_s, 2);
  EXPECT_EQ(p.users, 4);
  EXPECT_DOUBLE_EQ(p.rps, 10);
  EXPECT_DOUBLE_EQ(p.fail_per_s, 2.5);
  EXPECT_DOUBLE_EQ(p.spans_exported_per_s, 50);
  EXPECT_DOUBLE_EQ(p.spans_dropped_per_s, 5);
  EXPECT_DOUBLE_EQ(p.loop_cpu_max, 0.75);  // the busier of the two loops
}

TEST_F(Sampler, PercentilesAreOverLocustsTenSecondWindow) {
  sample(0, 0, {0});
  record(50, 0, 1000.5, 100'000);  // 50 slow requests at the start
  for (int s = 1; s <= 20; ++s) {
    record(20, 0, 1000.0 + s + 0.5);  // then 20 fast ones a second
    sample(s + 1, 0, {0});
  }
  // Over the run, 50 of 450 requests took 100 ms (the cumulative p95 is 100); the last 10 s
  // hold only fast ones.
  EXPECT_GT(agg.total().percentile_ms(0.95), 99);

  const stats::HistoryPoint last = history.all().back();
  EXPECT_DOUBLE_EQ(last.p50_ms, 10);
  EXPECT_DOUBLE_EQ(last.p95_ms, 10);
}

TEST_F(Sampler, NoRequestMeansNoPercentiles) {
  sample(0, 0, {0});
  sample(1, 0, {0});
  ASSERT_EQ(history.all().size(), 1u);
  EXPECT_LT(history.all()[0].p50_ms, 0);
  EXPECT_LT(history.all()[0].p95_ms, 0);
}

TEST_F(Sampler, AStatsResetClearsTheSeries) {
  record(10, 0, 1000.5);
  sample(0, 0, {0});
  record(10, 0, 1001.5);
  sample(1, 0, {0});
  sample(2, 0, {0});
  ASSERT_EQ(history.all().size(), 2u);
  agg.reset(1002.5);
  record(3, 0, 1002.7);
  sample(3, 0, {0});  // cleared; the new baseline
  EXPECT_TRUE(history.all().empty());
  record(4, 0, 1003.5);
  sample(4, 0, {0});
  ASSERT_EQ(history.all().size(), 1u);
  EXPECT_DOUBLE_EQ(history.all()[0].rps, 4);
}

TEST_F(Sampler, ANewRunAfterAStopClearsTheSeries) {
  sampler.observe(engine::RunState::kRunning, history);
  sample(0, 0, {0});
  sample(1, 0, {0});
  ASSERT_EQ(history.all().size(), 1u);
  sampler.observe(engine::RunState::kStopping, history);
  sampler.observe(engine::RunState::kStopped, history);
  EXPECT_EQ(history.all().size(), 1u);  // the stopped run's series stays (the report)
  sampler.observe(engine::RunState::kSpawning, history);
  EXPECT_TRUE(history.all().empty());
}

}  // namespace
}  // namespace loadgen::app
