// Tests for net/event_loop: sleeps, early wake-ups, deadline order, posting across threads.
#include "net/event_loop.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "loop_runner.hpp"

namespace loadgen::net {
namespace {

using namespace std::chrono_literals;
using testing::run_on_loop;

TEST(EventLoop, SleepResumesAfterTheDuration) {
  EventLoop loop;
  Sleeper s;
  std::int64_t elapsed = 0;
  bool woken = true;
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    const auto t0 = core::mono_ns();
    woken = co_await loop.sleep(s, 50ms);
    elapsed = core::mono_ns() - t0;
  }));
  EXPECT_GE(elapsed, 50'000'000);
  EXPECT_LT(elapsed, 5'000'000'000);
  EXPECT_FALSE(woken);
  EXPECT_FALSE(s.waiter);
}

TEST(EventLoop, WakeResumesEarly) {
  EventLoop loop;
  Sleeper s;
  std::int64_t elapsed = 0;
  bool woken = false;
  loop.post([&] { loop.wake(s); });  // runs once the coroutine sleeps
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    const auto t0 = core::mono_ns();
    woken = co_await loop.sleep(s, 60s);
    elapsed = core::mono_ns() - t0;
  }));
  EXPECT_TRUE(woken);
  EXPECT_LT(elapsed, 5'000'000'000);
}

TEST(EventLoop, WakeWhenNotSleepingIsANoOp) {
  EventLoop loop;
  Sleeper s;
  loop.wake(s);
  EXPECT_FALSE(s.woken_early);
  bool woken = true;
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> { woken = co_await loop.sleep(s, 1ms); }));
  EXPECT_FALSE(woken);
}

TEST(EventLoop, StaleDeadlineOfAWokenSleepDoesNotEndTheNextSleep) {
  EventLoop loop;
  Sleeper s;
  std::int64_t second = 0;
  bool first_woken = false;
  bool second_woken = true;
  loop.post([&] { loop.wake(s); });
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    first_woken = co_await loop.sleep(s, 20ms);  // its heap entry stays behind, stale
    const auto t0 = core::mono_ns();
    second_woken = co_await loop.sleep(s, 150ms);
    second = core::mono_ns() - t0;
  }));
  EXPECT_TRUE(first_woken);
  EXPECT_FALSE(second_woken);
  EXPECT_GE(second, 150'000'000);
}

// BUG (reported, not fixed here): wake() leaves the sleeper's heap entry behind, and on_timer
// dereferences it at the old deadline. A Sleeper destroyed after an early wake-up (a killed
// user) is then read after free. Under ASan this test fails deterministically; enable it with
// the fix (e.g. an intrusive heap whose wake() removes the entry).
TEST(EventLoop, SleeperMayBeDestroyedAfterAnEarlyWake) {
  EventLoop loop;
  auto doomed = std::make_unique<Sleeper>();
  Sleeper other;
  bool other_woken = true;
  loop.post([&] { loop.wake(*doomed); });
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    co_await loop.sleep(*doomed, 20ms);  // woken at once; its 20 ms entry stays in the heap
    doomed.reset();
    other_woken = co_await loop.sleep(other, 60ms);  // the loop passes the stale deadline
  }));
  EXPECT_FALSE(other_woken);
}

TEST(EventLoop, ManySleepersResumeInDeadlineOrder) {
  EventLoop loop;
  constexpr int kN = 24;
  std::vector<Sleeper> sleepers(kN);
  Sleeper main_sleeper;
  std::vector<int> order;
  int remaining = kN;
  auto sleeper = [&](int i, std::chrono::milliseconds d) -> core::Task<> {
    co_await loop.sleep(sleepers[static_cast<std::size_t>(i)], d);
    order.push_back(i);
    if (--remaining == 0) loop.wake(main_sleeper);
  };
  // Deadlines 4 ms apart, started in a scrambled order (7 is coprime with 24).
  std::vector<std::chrono::milliseconds> delay(kN);
  for (int i = 0; i < kN; ++i) {
    delay[static_cast<std::size_t>(i)] = std::chrono::milliseconds(5 + 4 * ((i * 7) % kN));
  }
  bool woken = false;
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    for (int i = 0; i < kN; ++i) core::spawn(sleeper(i, delay[static_cast<std::size_t>(i)]));
    woken = co_await loop.sleep(main_sleeper, 30s);  // the last sleeper wakes it
  }));
  EXPECT_TRUE(woken);
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kN));
  for (std::size_t k = 1; k < order.size(); ++k) {
    EXPECT_LT(delay[static_cast<std::size_t>(order[k - 1])],
              delay[static_cast<std::size_t>(order[k])])
        << "position " << k;
  }
}

TEST(EventLoop, PostFromAnotherThreadRunsOnTheLoop) {
  EventLoop loop;
  Sleeper s;
  std::thread::id ran_on;
  const auto loop_thread = std::this_thread::get_id();
  std::thread other;
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    other = std::thread([&] {
      loop.post([&] {
        ran_on = std::this_thread::get_id();
        loop.wake(s);
      });
    });
    co_await loop.sleep(s, 30s);
  }));
  other.join();
  EXPECT_EQ(ran_on, loop_thread);
}

// The napping loop (--loop-nap): sleeps, posts from another thread and stop() all still work,
// and sleeps keep their order and their deadlines (a nap delays them by at most its length).
TEST(EventLoop, NappingLoopRunsTimersPostsAndStops) {
  EventLoop loop;
  loop.set_nap(20us, 8);
  std::vector<int> order;
  Sleeper a, b, c;
  std::int64_t elapsed = 0;
  std::thread other;
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    const auto t0 = core::mono_ns();
    for (int i = 0; i < 200; ++i) co_await loop.sleep(a, 50us);  // many short turns, each naps
    elapsed = core::mono_ns() - t0;
    auto later = [&](Sleeper& s, std::chrono::milliseconds d, int id) -> core::Task<> {
      co_await loop.sleep(s, d);
      order.push_back(id);
    };
    core::spawn(later(b, 20ms, 2), [](std::exception_ptr) {});
    core::spawn(later(c, 10ms, 1), [](std::exception_ptr) {});
    other = std::thread([&] { loop.post([&] { loop.wake(a); }); });
    co_await loop.sleep(a, 30s);  // woken by the post
    co_await loop.sleep(a, 40ms);
  }));
  other.join();
  EXPECT_GE(elapsed, 200 * 50'000);
  EXPECT_LT(elapsed, 5'000'000'000);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  // stop() from another thread ends a loop that naps between turns.
  EventLoop idle;
  idle.set_nap(1ms, 1000);
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    idle.stop();
  });
  const auto t0 = core::mono_ns();
  idle.post([] {});
  idle.run();
  EXPECT_LT(core::mono_ns() - t0, 5'000'000'000);
  stopper.join();
}

// A nap never runs past a sleeping user's wake-up: with naps of 1 ms, sleeps of 300 us still
// end about on time (the median lateness of 21 would be ~700 us if the nap ran on).
TEST(EventLoop, ANapEndsAtTheEarliestSleepersWakeUp) {
  EventLoop loop;
  loop.set_nap(1ms, 8);
  std::vector<std::int64_t> late;
  Sleeper s;
  ASSERT_TRUE(run_on_loop(loop, [&]() -> core::Task<> {
    for (int i = 0; i < 21; ++i) {
      const std::int64_t due = core::mono_ns() + 300'000;
      co_await loop.sleep(s, 300us);
      late.push_back(core::mono_ns() - due);
    }
  }));
  std::sort(late.begin(), late.end());
  EXPECT_LT(late[late.size() / 2], 400'000) << "median lateness (ns)";
}

}  // namespace
}  // namespace loadgen::net
