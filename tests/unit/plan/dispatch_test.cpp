// Tests for plan/dispatch: Locust 2.12's UsersDispatcher (worker order, smooth weighted round
// robin with normalized weights, fixed_count first, ramp steps, LIFO ramp-down, rebalancing).
// Step-by-step equality with Locust itself: tests/integration/test_dispatch_locust.py.
#include "plan/dispatch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace loadgen::plan {
namespace {

using Info = ClassPicker::ClassInfo;

std::int64_t total(const Distribution& d) {
  std::int64_t n = 0;
  for (const auto& w : d) n = std::accumulate(w.begin(), w.end(), n);
  return n;
}

std::vector<std::int64_t> per_worker(const Distribution& d) {
  std::vector<std::int64_t> out;
  for (const auto& w : d) out.push_back(std::accumulate(w.begin(), w.end(), std::int64_t{0}));
  return out;
}

std::vector<std::int64_t> per_class(const Distribution& d) {
  std::vector<std::int64_t> out(d.empty() ? 0 : d[0].size(), 0);
  for (const auto& w : d) {
    for (std::size_t c = 0; c < w.size(); ++c) out[c] += w[c];
  }
  return out;
}

std::vector<std::string> ids(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// Drains a ramp; returns the totals of its steps.
std::vector<std::int64_t> drain(Dispatcher& d) {
  std::vector<std::int64_t> out;
  while (auto step = d.next()) out.push_back(total(*step));
  return out;
}

TEST(Dispatcher, WorkerOrderSpreadsHostsFirst) {
  Dispatcher d({{1, 0}});
  d.set_workers({"b_1", "a_2", "a_1", "c_1", "b_2", "solo"});
  // By id, numbered within each host (the prefix before '_'), then by (index, id).
  EXPECT_EQ(d.dispatch_order(),
            (std::vector<std::string>{"a_1", "b_1", "c_1", "solo", "a_2", "b_2"}));
  d.new_dispatch(4, 4);
  const auto step = d.next();
  ASSERT_TRUE(step);
  // Indexed by the given order: b_1, a_2, a_1, c_1, b_2, solo.
  EXPECT_EQ(per_worker(*step), (std::vector<std::int64_t>{1, 0, 1, 1, 0, 1}));
}

TEST(Dispatcher, WeightsOneThreeSeven) {
  Dispatcher d({{1, 0}, {3, 0}, {7, 0}});
  d.set_workers(ids("h_", 5));
  d.new_dispatch(110, 1000);
  const auto step = d.next();
  ASSERT_TRUE(step);
  EXPECT_EQ(per_class(*step), (std::vector<std::int64_t>{10, 30, 70}));
  EXPECT_EQ(per_worker(*step), (std::vector<std::int64_t>{22, 22, 22, 22, 22}));
  EXPECT_FALSE(d.next());
}

TEST(Dispatcher, WeightsAreNormalizedAsLocustDoes) {
  // round(2 * 5 / 4) = round(2.5) = 2 (half to even): 4 and 5 dispatch as 1:1, not 4:5.
  Dispatcher d({{4, 0}, {5, 0}});
  d.set_workers({"w_1"});
  d.new_dispatch(100, 100);
  EXPECT_EQ(per_class(*d.next()), (std::vector<std::int64_t>{50, 50}));
  // round(2 * 7 / 4) = round(3.5) = 4: 2:4.
  Dispatcher e({{4, 0}, {7, 0}});
  e.set_workers({"w_1"});
  e.new_dispatch(60, 100);
  EXPECT_EQ(per_class(*e.next()), (std::vector<std::int64_t>{20, 40}));
}

TEST(Dispatcher, NamesGiveLocustsClassOrder) {
  // Equal weights alternate starting with the first class by name.
  Dispatcher d({{1, 0}, {1, 0}}, {"Zed", "Alpha"});
  d.set_workers({"w_1"});
  d.new_dispatch(1, 1);
  EXPECT_EQ((*d.next())[0], (std::vector<std::int64_t>{0, 1}));
}

TEST(Dispatcher, FixedCountClassesFirst) {
  Dispatcher d({{1, 0}, {1, 2}, {9, 1}});
  d.set_workers({"a_1", "b_1"});
  d.new_dispatch(20, 3);
  const auto first = d.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(per_class(*first), (std::vector<std::int64_t>{0, 2, 1}));
  std::optional<Distribution> last;
  while (auto s = d.next()) last = s;
  ASSERT_TRUE(last);
  EXPECT_EQ(per_class(*last), (std::vector<std::int64_t>{17, 2, 1}));
}

TEST(Dispatcher, OnlyFullFixedClassesEndShort) {
  Dispatcher d({{1, 2}, {1, 1}});
  d.set_workers({"a_1"});
  d.new_dispatch(10, 2);
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(d.dispatched(), 3);
}

TEST(Dispatcher, RampUpStepsThenTarget) {
  Dispatcher d({{1, 0}});
  d.set_workers(ids("h_", 3));
  d.new_dispatch(10, 3);
  EXPECT_DOUBLE_EQ(d.step_interval_s(), 1.0);
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{3, 6, 9, 10}));
  EXPECT_FALSE(d.next());
  // A new dispatch to the count already there yields it once (Locust re-sends the counts).
  d.new_dispatch(10, 3);
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{10}));
}

TEST(Dispatcher, FractionalRateOneUserEveryTwoSeconds) {
  Dispatcher d({{1, 0}});
  d.set_workers({"h_1", "h_2"});
  d.new_dispatch(3, 0.5);
  EXPECT_DOUBLE_EQ(d.step_interval_s(), 2.0);
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{1, 2, 3}));
  d.new_dispatch(10, 2.5);
  EXPECT_DOUBLE_EQ(d.step_interval_s(), 0.8);
}

TEST(Dispatcher, RampDownRemovesTheNewestFirst) {
  Dispatcher d({{1, 0}, {1, 0}});
  d.set_workers({"w_0", "w_1", "w_2"});
  d.new_dispatch(10, 100);
  // User k is on worker k % 3 with class k % 2.
  EXPECT_EQ(per_worker(*d.next()), (std::vector<std::int64_t>{4, 3, 3}));
  d.new_dispatch(7, 1);
  auto s = d.next();  // drops user 9 (worker 0, class 1)
  EXPECT_EQ(per_worker(*s), (std::vector<std::int64_t>{3, 3, 3}));
  EXPECT_EQ(per_class(*s), (std::vector<std::int64_t>{5, 4}));
  s = d.next();  // user 8 (worker 2, class 0)
  EXPECT_EQ(per_worker(*s), (std::vector<std::int64_t>{3, 3, 2}));
  EXPECT_EQ(per_class(*s), (std::vector<std::int64_t>{4, 4}));
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{7}));  // user 7 (worker 1)
  EXPECT_EQ(per_worker(d.current()), (std::vector<std::int64_t>{3, 2, 2}));
  // Up again: the cycles go on from where they were (user 10 is on worker 1, class 0).
  d.new_dispatch(8, 1);
  s = d.next();
  EXPECT_EQ(per_worker(*s), (std::vector<std::int64_t>{3, 3, 2}));
  EXPECT_EQ(per_class(*s), (std::vector<std::int64_t>{5, 3}));
}

TEST(Dispatcher, RemovedWorkersUsersMoveToTheOthers) {
  Dispatcher d({{1, 0}});
  d.set_workers({"a_1", "b_1", "c_1"});
  d.new_dispatch(9, 100);
  EXPECT_EQ(per_worker(*d.next()), (std::vector<std::int64_t>{3, 3, 3}));
  EXPECT_FALSE(d.next());
  d.set_workers({"c_1", "a_1"});
  const auto s = d.next();  // rebalanced even though the ramp was over
  ASSERT_TRUE(s);
  EXPECT_EQ(per_worker(*s), (std::vector<std::int64_t>{4, 5}));  // given order: c_1, a_1
  EXPECT_FALSE(d.next());
}

TEST(Dispatcher, AddedWorkerMidRampRebalancesThenContinues) {
  Dispatcher d({{1, 0}});
  d.set_workers({"a_1", "b_1"});
  d.new_dispatch(12, 4);
  EXPECT_EQ(total(*d.next()), 4);
  d.set_workers({"a_1", "b_1", "c_1"});
  auto s = d.next();
  EXPECT_EQ(per_worker(*s), (std::vector<std::int64_t>{2, 1, 1}));
  s = d.next();
  EXPECT_EQ(per_worker(*s), (std::vector<std::int64_t>{3, 3, 2}));
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{12}));
}

TEST(Dispatcher, ReorderedSameSetOnlyReindexes) {
  Dispatcher d({{1, 0}});
  d.set_workers({"a_1", "b_1"});
  d.new_dispatch(3, 10);
  EXPECT_EQ(per_worker(*d.next()), (std::vector<std::int64_t>{2, 1}));
  d.set_workers({"b_1", "a_1"});
  EXPECT_EQ(per_worker(d.current()), (std::vector<std::int64_t>{1, 2}));
  EXPECT_FALSE(d.next());
}

TEST(Dispatcher, NoWorkersNoSteps) {
  Dispatcher d({{1, 0}});
  d.set_workers({"a_1"});
  d.new_dispatch(5, 10);
  EXPECT_EQ(total(*d.next()), 5);
  d.set_workers({});
  EXPECT_FALSE(d.next());
  EXPECT_EQ(d.dispatched(), 5);
  d.set_workers({"b_1", "c_1"});
  EXPECT_EQ(per_worker(*d.next()), (std::vector<std::int64_t>{3, 2}));
}

TEST(Dispatcher, RejectsCyclesTooLong) {
  EXPECT_TRUE(Dispatcher::check_classes({{1, 0}, {1000, 0}, {0, 5}}).ok());
  EXPECT_FALSE(Dispatcher::check_classes({{1, 0}, {10000000, 0}}).ok());
  EXPECT_FALSE(Dispatcher::check_classes({{1, 1}, {1, 10000000}}).ok());
}

// A per-user reference: the cycle of ClassPicker (the same smooth weighted round robin) over
// the normalized weights, users to workers in dispatch order.
Distribution reference(const std::vector<unsigned>& normalized, std::size_t workers,
                       std::int64_t users) {
  std::vector<Info> infos;
  for (const unsigned w : normalized) infos.push_back({w, 0});
  ClassPicker picker(infos);
  std::vector<std::int64_t> alive(normalized.size(), 0);
  Distribution d(workers, std::vector<std::int64_t>(normalized.size(), 0));
  for (std::int64_t k = 0; k < users; ++k) {
    const std::size_t c = picker.next(alive);
    ++d[static_cast<std::size_t>(k) % workers][c];
  }
  return d;
}

TEST(Dispatcher, ArithmeticCountsEqualPerUserCounts) {
  // 13 workers and a cycle of 2+5+6 = 13: lcm 13; 97 workers: lcm 1261; counts over whole
  // periods plus a remainder, and removals in the middle of periods.
  for (const std::size_t workers : {1u, 13u, 97u, 100u}) {
    Dispatcher d({{2, 0}, {5, 0}, {6, 0}});
    d.set_workers(ids("w", static_cast<int>(workers)));  // no '_': one host each, by id
    std::vector<std::string> sorted = d.dispatch_order();
    d.new_dispatch(100003, 1e9);
    auto s = d.next();
    const auto expect = reference({2, 5, 6}, workers, 100003);
    for (std::size_t w = 0; w < workers; ++w) {
      const auto pos = static_cast<std::size_t>(
          std::find(sorted.begin(), sorted.end(), d.workers()[w]) - sorted.begin());
      ASSERT_EQ((*s)[w], expect[pos]) << workers << " workers, worker " << w;
    }
    d.new_dispatch(31337, 12345.6);
    while (auto t = d.next()) s = t;
    const auto down = reference({2, 5, 6}, workers, 31337);
    for (std::size_t w = 0; w < workers; ++w) {
      const auto pos = static_cast<std::size_t>(
          std::find(sorted.begin(), sorted.end(), d.workers()[w]) - sorted.begin());
      ASSERT_EQ((*s)[w], down[pos]) << workers << " workers, worker " << w;
    }
  }
}

TEST(Dispatcher, OneMillionUsersInOneStep) {
  Dispatcher d({{1, 0}, {3, 0}, {7, 0}, {1, 5}});
  d.set_workers(ids("host_", 100));
  d.new_dispatch(1000000, 1e6);
  const auto s = d.next();
  ASSERT_TRUE(s);
  EXPECT_EQ(per_class(*s), (std::vector<std::int64_t>{90909, 272726, 636360, 5}));
  for (const auto n : per_worker(*s)) EXPECT_EQ(n, 10000);
  EXPECT_FALSE(d.next());
}

TEST(Dispatcher, TenMillionUsersOnTenThousandWorkers) {
  Dispatcher d({{1, 0}, {2, 0}});
  d.set_workers(ids("node_", 10000));
  d.new_dispatch(10000000, 1e7);
  auto s = d.next();
  ASSERT_TRUE(s);
  EXPECT_EQ(total(*s), 10000000);
  for (const auto n : per_worker(*s)) ASSERT_EQ(n, 1000);
  // Down in ten steps of a million, newest first.
  d.new_dispatch(0, 1e6);
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{9000000, 8000000, 7000000, 6000000, 5000000,
                                                 4000000, 3000000, 2000000, 1000000, 0}));
  d.new_dispatch(10000000, 1e7);
  EXPECT_EQ(drain(d), (std::vector<std::int64_t>{10000000}));
  // One worker gone: its 1,000 users spread over the 9,999 others.
  auto fewer = ids("node_", 10000);
  fewer.pop_back();
  d.set_workers(fewer);
  s = d.next();
  ASSERT_TRUE(s);
  EXPECT_EQ(total(*s), 10000000);
  for (const auto n : per_worker(*s)) ASSERT_TRUE(n == 1000 || n == 1001);
}

}  // namespace
}  // namespace loadgen::plan
