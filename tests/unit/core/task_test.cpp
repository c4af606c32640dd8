// Tests for core/task: lazy Task<T> chains, exception propagation, spawn() and on_done.
#include "core/task.hpp"

#include <gtest/gtest.h>

#include <coroutine>
#include <stdexcept>
#include <string>

namespace loadgen::core {
namespace {

Task<int> leaf(int v) { co_return v * 2; }

Task<int> middle(int v) {
  const int a = co_await leaf(v);
  const int b = co_await leaf(a);
  co_return a + b;
}

Task<int> thrower() {
  throw std::runtime_error("boom");
  co_return 0;
}

Task<int> catches() {
  try {
    co_return co_await thrower();
  } catch (const std::runtime_error& e) {
    co_return std::string(e.what()) == "boom" ? 42 : -1;
  }
}

// A manual event: suspends until resume() is called, to test that spawn() is detached.
struct Gate {
  std::coroutine_handle<> waiter;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { waiter = h; }
  void await_resume() const noexcept {}
  void open() { std::exchange(waiter, {}).resume(); }
};

TEST(Task, ChainOfIntTasks) {
  int out = 0;
  bool done = false;
  spawn([](int& o) -> Task<void> { o = co_await middle(3); }(out),
        [&](std::exception_ptr e) {
          EXPECT_FALSE(e);
          done = true;
        });
  EXPECT_TRUE(done);
  EXPECT_EQ(out, 6 + 12);
}

TEST(Task, ExceptionPropagatesToAwaiter) {
  int out = 0;
  spawn([](int& o) -> Task<void> { o = co_await catches(); }(out));
  EXPECT_EQ(out, 42);
}

TEST(Task, EscapingExceptionReachesOnDone) {
  std::string what;
  spawn([]() -> Task<void> { co_await thrower(); }(),
        [&](std::exception_ptr e) {
          ASSERT_TRUE(e);
          try {
            std::rethrow_exception(e);
          } catch (const std::runtime_error& err) {
            what = err.what();
          }
        });
  EXPECT_EQ(what, "boom");
}

TEST(Task, SpawnIsDetachedUntilResumed) {
  Gate gate;
  int stage = 0;
  bool done = false;
  spawn(
      [](Gate& g, int& s) -> Task<void> {
        s = 1;
        co_await g;
        s = co_await leaf(1);
      }(gate, stage),
      [&](std::exception_ptr e) {
        EXPECT_FALSE(e);
        done = true;
      });
  EXPECT_EQ(stage, 1);
  EXPECT_FALSE(done);
  gate.open();
  EXPECT_EQ(stage, 2);
  EXPECT_TRUE(done);
}

TEST(Task, ManyFramesReusePool) {
  int sum = 0;
  for (int i = 0; i < 1000; ++i) {
    spawn([](int& s, int v) -> Task<void> { s += co_await leaf(v); }(sum, i));
  }
  EXPECT_EQ(sum, 999 * 1000);
}

}  // namespace
}  // namespace loadgen::core
