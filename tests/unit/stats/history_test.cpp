#include "stats/history.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace loadgen::stats {
namespace {

HistoryPoint at(double t, double rps = 0) {
  HistoryPoint p;
  p.t = t;
  p.span_s = 1;
  p.users = static_cast<std::int64_t>(t);
  p.rps = rps;
  return p;
}

double covered(const std::vector<HistoryPoint>& pts) {
  return std::accumulate(pts.begin(), pts.end(), 0.0,
                         [](double s, const HistoryPoint& p) { return s + p.span_s; });
}

TEST(History, SinceZeroAnswersEverythingToBeReplaced) {
  History h(16);
  for (int i = 1; i <= 3; ++i) h.add(at(i));
  const auto s = h.since(0);
  EXPECT_TRUE(s.replace);
  ASSERT_EQ(s.points.size(), 3u);
  EXPECT_EQ(s.points[0].t, 1);
  EXPECT_EQ(s.points[2].t, 3);
  EXPECT_GT(s.next, 0u);
}

TEST(History, SinceNextGivesOnlyTheNewPoints) {
  History h(16);
  h.add(at(1));
  h.add(at(2));
  const auto first = h.since(0);
  const auto none = h.since(first.next);
  EXPECT_FALSE(none.replace);
  EXPECT_TRUE(none.points.empty());
  EXPECT_EQ(none.next, first.next);
  h.add(at(3));
  h.add(at(4));
  const auto delta = h.since(first.next);
  EXPECT_FALSE(delta.replace);
  ASSERT_EQ(delta.points.size(), 2u);
  EXPECT_EQ(delta.points[0].t, 3);
  EXPECT_EQ(delta.points[1].t, 4);
  EXPECT_GT(delta.next, first.next);
}

TEST(History, ClearMakesEveryReaderReplace) {
  History h(16);
  h.add(at(1));
  const auto before = h.since(0);
  h.clear();
  EXPECT_TRUE(h.all().empty());
  auto s = h.since(before.next);
  EXPECT_TRUE(s.replace);
  EXPECT_TRUE(s.points.empty());
  h.add(at(5));
  s = h.since(before.next);
  EXPECT_TRUE(s.replace);
  ASSERT_EQ(s.points.size(), 1u);
  EXPECT_EQ(s.points[0].t, 5);
  // A reader that saw the clear gets deltas again.
  const auto after = h.since(s.next);
  EXPECT_FALSE(after.replace);
  EXPECT_TRUE(after.points.empty());
}

TEST(History, AnUnknownSequenceNumberGetsEverything) {
  History h(16);
  h.add(at(1));
  const auto s = h.since(1000);
  EXPECT_TRUE(s.replace);
  EXPECT_EQ(s.points.size(), 1u);
}

TEST(History, StaysBoundedAndCoversTheWholeRun) {
  History h(64);
  for (int i = 1; i <= 10000; ++i) {
    h.add(at(i, 10));
    ASSERT_LE(h.all().size(), 64u) << i;
  }
  const auto pts = h.all();
  EXPECT_GE(pts.size(), 48u);
  EXPECT_DOUBLE_EQ(covered(pts), 10000);
  EXPECT_EQ(pts.back().t, 10000);
  for (std::size_t i = 1; i < pts.size(); ++i) {
    EXPECT_LT(pts[i - 1].t, pts[i].t);
    // Near-uniform: no point covers much more than the run divided by the point count.
    EXPECT_LE(pts[i].span_s, 4 * 10000.0 / 48);
    EXPECT_DOUBLE_EQ(pts[i].rps, 10);
  }
}

TEST(History, TwelveHoursAtOnePointASecond) {
  History h;  // the default capacity
  for (int i = 1; i <= 12 * 3600; ++i) h.add(at(i, 5));
  const auto pts = h.all();
  EXPECT_LE(pts.size(), 4096u);
  EXPECT_GE(pts.size(), 3000u);
  EXPECT_DOUBLE_EQ(covered(pts), 12 * 3600);
  double widest = 0;
  for (const auto& p : pts) widest = std::max(widest, p.span_s);
  EXPECT_LE(widest, 16);  // about 14 s a point would be uniform
}

TEST(History, DownsamplingMakesReadersReplace) {
  History h(8);
  for (int i = 1; i <= 8; ++i) h.add(at(i));
  const auto full = h.since(0);
  EXPECT_EQ(full.points.size(), 8u);
  h.add(at(9));  // full: the oldest pairs merge first
  const auto s = h.since(full.next);
  EXPECT_TRUE(s.replace);
  EXPECT_EQ(s.points.size(), 7u);
  EXPECT_EQ(s.points[0].t, 2);
  EXPECT_EQ(s.points[0].span_s, 2);
  EXPECT_EQ(s.points[0].users, 2);
  EXPECT_EQ(s.points.back().t, 9);
  EXPECT_DOUBLE_EQ(covered(s.points), 9);
  EXPECT_FALSE(h.since(s.next).replace);
}

TEST(History, MergeWeighsRatesByTimeAndSkipsMissingPercentiles) {
  HistoryPoint a = at(1, 10), b = at(4, 40);
  b.span_s = 3;
  a.p50_ms = -1;
  b.p50_ms = 20;
  a.p95_ms = 10;
  b.p95_ms = 50;
  a.loop_cpu_max = 1.0;
  b.loop_cpu_max = 0.2;
  const HistoryPoint m = merge_points(a, b);
  EXPECT_EQ(m.t, 4);
  EXPECT_EQ(m.span_s, 4);
  EXPECT_EQ(m.users, 4);
  EXPECT_DOUBLE_EQ(m.rps, (10 + 120) / 4.0);
  EXPECT_DOUBLE_EQ(m.p50_ms, 20);
  EXPECT_DOUBLE_EQ(m.p95_ms, (10 + 150) / 4.0);
  EXPECT_DOUBLE_EQ(m.loop_cpu_max, (1.0 + 0.6) / 4.0);
}

}  // namespace
}  // namespace loadgen::stats
