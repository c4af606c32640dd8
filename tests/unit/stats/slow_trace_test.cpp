// Slow traces: the shard keeps its slowest traced request per entry between takes, the
// aggregate keeps the slowest within SlowTrace::kWindowS of the newest, across workers.
#include <gtest/gtest.h>

#include "stats/aggregate.hpp"
#include "stats/shard.hpp"

namespace loadgen::stats {
namespace {

TraceIdBytes id(std::uint8_t b) {
  TraceIdBytes t{};
  t.fill(b);
  return t;
}

const Entry* find(const Aggregate& a, std::string_view name) {
  for (const Entry* e : a.entries()) {
    if (e->name == name) return e;
  }
  return nullptr;
}

TEST(SlowTrace, ShardKeepsTheSlowestTracedRequestUntilTake) {
  Shard shard;
  const TraceIdBytes a = id(1), b = id(2), c = id(3);
  shard.record("GET", "/", 5000, 0, "", 100.1, &a);
  shard.record("GET", "/", 9000, 0, "", 100.2, &b);
  shard.record("GET", "/", 7000, 0, "", 100.3, &c);
  shard.record("GET", "/", 60000, 0, "", 100.4);  // untraced: never chosen
  Snapshot s = shard.take();
  ASSERT_EQ(s.entries.size(), 1u);
  const SlowTrace& st = s.entries[0].slow_trace;
  ASSERT_TRUE(st.known());
  EXPECT_EQ(st.trace_id, b);
  EXPECT_EQ(st.response_time_us, 9000u);
  EXPECT_DOUBLE_EQ(st.at, 100.2);

  shard.record("GET", "/", 1000, 0, "", 101.0);
  Snapshot next = shard.take();
  ASSERT_EQ(next.entries.size(), 1u);
  EXPECT_FALSE(next.entries[0].slow_trace.known());  // the take reset it
}

TEST(SlowTrace, MergeKeepsTheSlowerWithinTheWindowAndANewerOneAfterIt) {
  SlowTrace kept{id(1), 9000, 100.0};
  kept.merge(SlowTrace{});  // nothing known: no change
  EXPECT_EQ(kept.trace_id, id(1));
  kept.merge(SlowTrace{id(2), 5000, 105.0});  // faster and within 10 s: kept stays
  EXPECT_EQ(kept.trace_id, id(1));
  kept.merge(SlowTrace{id(3), 12000, 106.0});  // slower: replaces
  EXPECT_EQ(kept.trace_id, id(3));
  kept.merge(SlowTrace{id(4), 1000, 116.5});  // kept is > 10 s older: the newer one wins
  EXPECT_EQ(kept.trace_id, id(4));
  EXPECT_EQ(kept.response_time_us, 1000u);
  SlowTrace none;
  none.merge(SlowTrace{id(5), 0, 1.0});  // a 0 µs request is still a known trace
  EXPECT_TRUE(none.known());
}

TEST(SlowTrace, AggregateMergesAcrossWorkersAndResetClears) {
  Aggregate agg(100.0);
  Shard w1, w2;
  const TraceIdBytes a = id(0xa), b = id(0xb), c = id(0xc);
  w1.record("GET", "/x", 3000, 0, "", 100.5, &a);
  w2.record("GET", "/x", 8000, 0, "boom", 100.6, &b);  // failures are traced too
  w2.record("GET", "/y", 2000, 0, "", 100.7, &c);
  agg.merge(w1.take());
  agg.merge(w2.take());
  const Entry* x = find(agg, "/x");
  const Entry* y = find(agg, "/y");
  ASSERT_NE(x, nullptr);
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(x->slow_trace.trace_id, b);
  EXPECT_EQ(x->slow_trace.response_time_us, 8000u);
  EXPECT_EQ(y->slow_trace.trace_id, c);
  EXPECT_EQ(agg.total().slow_trace.trace_id, b);

  agg.reset(200.0);
  EXPECT_FALSE(find(agg, "/x")->slow_trace.known());
  EXPECT_FALSE(agg.total().slow_trace.known());
}

}  // namespace
}  // namespace loadgen::stats
