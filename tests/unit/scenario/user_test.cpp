// Tests for scenario/user: task picking by weight and run_user's life cycle (on_start, tasks,
// waits, StopUser, RescheduleTask, task exceptions, graceful stop and kill, on_stop).
#include "scenario/user.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "loop_runner.hpp"
#include "test_server.hpp"

namespace loadgen::scenario {
namespace {

using namespace std::chrono_literals;

struct TaskError {
  std::string cls, task, what;
};

class RecordingEvents final : public UserEvents {
 public:
  void on_task_exception(const UserClass& cls, std::string_view task,
                         std::string_view what) override {
    errors.push_back({cls.name, std::string(task), std::string(what)});
  }
  std::vector<TaskError> errors;
};

// What a ScriptUser did.
struct Script {
  int starts = 0;
  int tasks = 0;           // task bodies entered
  int tasks_finished = 0;  // task bodies that returned normally
  int stops = 0;
  bool killed_at_stop = false;
  bool throw_in_start = false;
  bool stop_in_start = false;
  bool throw_in_stop = false;
};

class ScriptUser final : public User {
 public:
  Script* s = nullptr;
  core::Task<> on_start() override {
    ++s->starts;
    if (s->stop_in_start) throw StopUser{};
    if (s->throw_in_start) throw std::runtime_error("start failed");
    co_return;
  }
  core::Task<> on_stop() override {
    ++s->stops;
    s->killed_at_stop = killed();
    if (s->throw_in_stop) throw std::runtime_error("stop failed");
    co_return;
  }
};

Script& script_of(User& u) { return *static_cast<ScriptUser&>(u).s; }

// One user on its own loop, run by run_user on the test thread.
class RunUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cls.name = "ScriptUser";
    cls.wait_time = WaitTime::constant(0);
  }
  void add_task(std::string name, std::function<core::Task<>(User&)> fn, unsigned weight = 1) {
    cls.tasks.push_back(TaskDef{std::move(name), weight, std::move(fn), {}, {}});
  }
  // Runs the user to its end; returns the elapsed time.
  std::chrono::nanoseconds run() {
    user.s = &script;
    user.attach(User::Runtime{&loop, &cfg, nullptr, &events, nullptr, &cls, 7, 42});
    const auto t0 = core::mono_ns();
    EXPECT_TRUE(testing::run_on_loop(loop, [&] { return run_user(user); })) << "user hung";
    return std::chrono::nanoseconds(core::mono_ns() - t0);
  }

  net::EventLoop loop;
  client::ClientConfig cfg;
  RecordingEvents events;
  UserClass cls;
  Script script;
  ScriptUser user;  // after the loop: destroyed first
};

core::Task<> count_then_stop_at_5(User& u) {
  Script& s = script_of(u);
  if (++s.tasks == 5) throw StopUser{};
  ++s.tasks_finished;
  co_return;
}

TEST_F(RunUserTest, OnStartOnceThenTasksUntilStopUserThenOnStop) {
  add_task("count", count_then_stop_at_5);
  run();
  EXPECT_EQ(script.starts, 1);
  EXPECT_EQ(script.tasks, 5);
  EXPECT_EQ(script.tasks_finished, 4);
  EXPECT_EQ(script.stops, 1);
  EXPECT_FALSE(script.killed_at_stop);
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(RunUserTest, TaskExceptionIsReportedAndTheUserContinues) {
  add_task("flaky", [](User& u) -> core::Task<> {
    Script& s = script_of(u);
    if (++s.tasks <= 2) throw std::runtime_error("bad thing");
    throw StopUser{};
    co_return;
  });
  run();
  EXPECT_EQ(script.tasks, 3);
  ASSERT_EQ(events.errors.size(), 2u);
  EXPECT_EQ(events.errors[0].cls, "ScriptUser");
  EXPECT_EQ(events.errors[0].task, "flaky");
  EXPECT_EQ(events.errors[0].what, "bad thing");
  EXPECT_EQ(script.stops, 1);
}

TEST_F(RunUserTest, OnStartExceptionIsReportedAndTasksStillRun) {
  script.throw_in_start = true;
  add_task("count", count_then_stop_at_5);
  run();
  ASSERT_EQ(events.errors.size(), 1u);
  EXPECT_EQ(events.errors[0].task, "on_start");
  EXPECT_EQ(events.errors[0].what, "start failed");
  EXPECT_EQ(script.tasks, 5);
  EXPECT_EQ(script.stops, 1);
}

TEST_F(RunUserTest, StopUserInOnStartSkipsTasks) {
  script.stop_in_start = true;
  add_task("count", count_then_stop_at_5);
  run();
  EXPECT_EQ(script.tasks, 0);
  EXPECT_EQ(script.stops, 1);
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(RunUserTest, OnStopExceptionIsReported) {
  script.throw_in_stop = true;
  add_task("count", count_then_stop_at_5);
  run();
  ASSERT_EQ(events.errors.size(), 1u);
  EXPECT_EQ(events.errors[0].task, "on_stop");
}

TEST_F(RunUserTest, WaitsBetweenTasks) {
  cls.wait_time = WaitTime::constant(0.03);
  add_task("count", [](User& u) -> core::Task<> {
    if (++script_of(u).tasks == 3) throw StopUser{};
    co_return;
  });
  const auto elapsed = run();
  EXPECT_EQ(script.tasks, 3);
  EXPECT_GE(elapsed, 60ms);  // two waits: after task 1 and task 2
}

TEST_F(RunUserTest, RescheduleTaskSkipsTheWait) {
  cls.wait_time = WaitTime::constant(60);
  add_task("again", [](User& u) -> core::Task<> {
    if (++script_of(u).tasks <= 3) throw RescheduleTask{};
    throw StopUser{};
    co_return;
  });
  const auto elapsed = run();
  EXPECT_EQ(script.tasks, 4);
  EXPECT_LT(elapsed, 5s);
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(RunUserTest, KillDuringTheWaitEndsPromptlyAndRunsOnStop) {
  cls.wait_time = WaitTime::constant(60);
  add_task("count", [](User& u) -> core::Task<> {
    ++script_of(u).tasks;
    co_return;
  });
  loop.post([&] { user.kill(); });  // runs once the user waits
  const auto elapsed = run();
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(script.tasks, 1);
  EXPECT_EQ(script.stops, 1);
  EXPECT_TRUE(script.killed_at_stop);
  EXPECT_TRUE(user.killed());
  EXPECT_TRUE(user.client().cancelled());
  EXPECT_TRUE(events.errors.empty());  // being killed is not a task error
}

TEST_F(RunUserTest, KillDuringASleepInsideATaskUnwindsTheTask) {
  add_task("sleepy", [](User& u) -> core::Task<> {
    ++script_of(u).tasks;
    co_await u.sleep(60s);
    ++script_of(u).tasks_finished;  // never reached
  });
  loop.post([&] { user.kill(); });
  const auto elapsed = run();
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(script.tasks, 1);
  EXPECT_EQ(script.tasks_finished, 0);
  EXPECT_EQ(script.stops, 1);
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(RunUserTest, RequestStopDuringTheWaitEndsGracefully) {
  cls.wait_time = WaitTime::constant(60);
  add_task("count", [](User& u) -> core::Task<> {
    ++script_of(u).tasks;
    co_return;
  });
  loop.post([&] { user.request_stop(); });
  const auto elapsed = run();
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(script.tasks, 1);
  EXPECT_EQ(script.stops, 1);
  EXPECT_FALSE(script.killed_at_stop);
  EXPECT_TRUE(user.stopping());
}

TEST_F(RunUserTest, RequestStopLetsTheCurrentTaskFinish) {
  add_task("sleepy", [](User& u) -> core::Task<> {
    ++script_of(u).tasks;
    co_await u.sleep(60s);  // returns early on request_stop
    ++script_of(u).tasks_finished;
  });
  loop.post([&] { user.request_stop(); });
  const auto elapsed = run();
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(script.tasks, 1);
  EXPECT_EQ(script.tasks_finished, 1);
  EXPECT_EQ(script.stops, 1);
}

TEST_F(RunUserTest, TasksUseTheUsersHttpClient) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "hi"); });
  cfg.set_base(*http::parse_url(server.base_url()));
  add_task("get", [](User& u) -> core::Task<> {
    client::Response r = co_await u.client().get("/from-user");
    EXPECT_EQ(r.text(), "hi");
    if (++script_of(u).tasks == 2) throw StopUser{};
  });
  run();
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(UserClass, PickFollowsTheWeights) {
  UserClass cls;
  const unsigned weights[] = {1, 2, 7, 0};
  for (unsigned w : weights) cls.tasks.push_back(TaskDef{std::to_string(w), w, {}, {}, {}});
  EXPECT_EQ(cls.total_task_weight(), 10u);
  core::Rng rng(12345);
  constexpr int kN = 100000;
  int counts[4] = {};
  for (int i = 0; i < kN; ++i) {
    const TaskDef& t = cls.pick(rng);
    counts[&t - cls.tasks.data()]++;
  }
  EXPECT_EQ(counts[3], 0);  // weight 0 is never picked
  double chi2 = 0;
  for (int i = 0; i < 3; ++i) {
    const double expected = kN * weights[i] / 10.0;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  EXPECT_LT(chi2, 13.8) << counts[0] << " " << counts[1] << " " << counts[2];  // 2 dof, p=0.001
}

TEST(UserClass, PickIsDeterministicForASeed) {
  UserClass cls;
  for (unsigned w : {3u, 1u, 4u}) cls.tasks.push_back(TaskDef{std::to_string(w), w, {}, {}, {}});
  core::Rng a(99), b(99);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(&cls.pick(a), &cls.pick(b));
}

TEST(UserClass, AllZeroWeightsPickTheFirst) {
  UserClass cls;
  cls.tasks.push_back(TaskDef{"a", 0, {}, {}, {}});
  cls.tasks.push_back(TaskDef{"b", 0, {}, {}, {}});
  core::Rng rng(1);
  EXPECT_EQ(cls.pick(rng).name, "a");
}

// ---- task sets (Locust's TaskSet / SequentialTaskSet) ----

// A leaf task that records its name and stops the user after `limit` leaf runs.
std::function<core::Task<>(User&)> logging_task(std::vector<std::string>* log, std::string name,
                                                std::size_t limit = 1000) {
  return [log, name = std::move(name), limit](User&) -> core::Task<> {
    log->push_back(name);
    if (log->size() >= limit) throw StopUser{};
    co_return;
  };
}

TEST_F(RunUserTest, SequentialTaskSetRunsTasksInOrderEachWeightTimesThenInterrupts) {
  std::vector<std::string> log;
  auto set = std::make_shared<TaskSet>();
  set->name = "Checkout";
  set->sequential = true;
  set->tasks.push_back(TaskDef{"a", 2, logging_task(&log, "a"), {}, {}});
  set->tasks.push_back(TaskDef{"b", 1, logging_task(&log, "b"), {}, {}});
  set->tasks.push_back(TaskDef{"leave",
                               1,
                               [&log](User&) -> core::Task<> {
                                 log.push_back("leave");
                                 throw InterruptTaskSet{};
                                 co_return;
                               },
                               {},
                               {}});
  set->on_start = [&log](User&) -> core::Task<> {
    log.push_back("set.on_start");
    co_return;
  };
  set->on_stop = [&log](User&) -> core::Task<> {
    log.push_back("set.on_stop");
    co_return;
  };
  cls.tasks.push_back(TaskDef{"Checkout", 1, {}, {}, set});
  add_task("top", [&log](User&) -> core::Task<> {
    log.push_back("top");
    if (log.size() > 12) throw StopUser{};
    co_return;
  });
  cls.sequential = true;
  run();
  const std::vector<std::string> want = {
      "set.on_start", "a", "a", "b", "leave", "set.on_stop", "top",
      "set.on_start", "a", "a", "b", "leave", "set.on_stop", "top"};
  EXPECT_EQ(log, want);
  EXPECT_TRUE(events.errors.empty());
  EXPECT_EQ(script.stops, 1);
}

TEST_F(RunUserTest, TaskSetReportsInnerErrorsAndGoesOnUntilStopUser) {
  std::vector<std::string> log;
  auto set = std::make_shared<TaskSet>();
  set->name = "Browse";
  set->tasks.push_back(TaskDef{"fails",
                               1,
                               [&log](User&) -> core::Task<> {
                                 log.push_back("fails");
                                 if (log.size() >= 4) throw StopUser{};
                                 throw std::runtime_error("inner");
                                 co_return;
                               },
                               {},
                               {}});
  cls.tasks.push_back(TaskDef{"Browse", 1, {}, {}, set});
  run();
  EXPECT_EQ(log.size(), 4u);
  ASSERT_EQ(events.errors.size(), 3u);
  EXPECT_EQ(events.errors[0].task, "fails");
  EXPECT_EQ(events.errors[0].what, "inner");
  EXPECT_EQ(script.stops, 1);
}

TEST_F(RunUserTest, TaskSetUsesItsOwnWaitTime) {
  std::vector<std::string> log;
  auto set = std::make_shared<TaskSet>();
  set->wait_time = WaitTime::constant(0.02);
  set->tasks.push_back(TaskDef{"t", 1, logging_task(&log, "t", 6), {}, {}});
  cls.tasks.push_back(TaskDef{"Set", 1, {}, {}, set});
  cls.wait_time = WaitTime::constant(5);  // the user's: not used inside the set
  const auto took = run();
  EXPECT_EQ(log.size(), 6u);
  EXPECT_GE(took, 100ms);  // five waits of 20 ms
  EXPECT_LT(took, 4s);
}

TEST_F(RunUserTest, InterruptWithoutRescheduleWaitsInTheParent) {
  std::vector<std::string> log;
  auto set = std::make_shared<TaskSet>();
  set->tasks.push_back(TaskDef{"out",
                               1,
                               [&log](User&) -> core::Task<> {
                                 log.push_back("out");
                                 if (log.size() >= 3) throw StopUser{};
                                 throw InterruptTaskSet{false};
                                 co_return;
                               },
                               {},
                               {}});
  cls.tasks.push_back(TaskDef{"Set", 1, {}, {}, set});
  cls.wait_time = WaitTime::constant(0.05);
  const auto took = run();
  EXPECT_EQ(log.size(), 3u);
  EXPECT_GE(took, 100ms);  // the parent waited after each of the two interrupts
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(RunUserTest, TaskSetOnStopRunsWhenATaskStopsTheUser) {
  std::vector<std::string> log;
  auto set = std::make_shared<TaskSet>();
  set->name = "Shop";
  set->tasks.push_back(TaskDef{"quit",
                               1,
                               [&log](User&) -> core::Task<> {
                                 log.push_back("quit");
                                 throw StopUser{};
                                 co_return;
                               },
                               {},
                               {}});
  set->on_stop = [&log](User&) -> core::Task<> {
    log.push_back("set.on_stop");
    co_return;
  };
  cls.tasks.push_back(TaskDef{"Shop", 1, {}, {}, set});
  run();
  EXPECT_EQ(log, (std::vector<std::string>{"quit", "set.on_stop"}));
  EXPECT_TRUE(events.errors.empty());
  EXPECT_EQ(script.stops, 1);  // and the user's own on_stop after it
}

TEST_F(RunUserTest, TaskSetOnStopErrorIsReportedUnderTheSetsName) {
  std::vector<std::string> log;
  auto set = std::make_shared<TaskSet>();
  set->name = "Shop";
  set->tasks.push_back(TaskDef{"leave",
                               1,
                               [&log](User&) -> core::Task<> {
                                 log.push_back("leave");
                                 if (log.size() >= 2) throw StopUser{};
                                 throw InterruptTaskSet{};
                                 co_return;
                               },
                               {},
                               {}});
  set->on_stop = [](User&) -> core::Task<> {
    throw std::runtime_error("logout failed");
    co_return;
  };
  cls.tasks.push_back(TaskDef{"Shop", 1, {}, {}, set});
  run();
  EXPECT_EQ(log.size(), 2u);
  ASSERT_EQ(events.errors.size(), 2u);
  EXPECT_EQ(events.errors[0].task, "Shop.on_stop");
  EXPECT_EQ(events.errors[0].what, "logout failed");
}

// A task that returns without ever suspending, with no wait after it, must not keep the
// worker's thread: the user yields to the loop now and then, so a stop posted to the loop gets
// through. Without that, run() would never return (the watchdog cannot stop a loop that never
// gets control back).
TEST_F(RunUserTest, TasksThatNeverSuspendStillLetTheLoopRun) {
  int runs = 0;
  add_task("spin", [&runs](User&) -> core::Task<> {
    ++runs;
    co_return;
  });
  loop.post([this] { user.request_stop(); });
  run();
  EXPECT_GE(runs, 1);
  EXPECT_LE(runs, 64);
  EXPECT_EQ(script.stops, 1);
}

TEST_F(RunUserTest, TasksThatNeverSuspendInsideASetStillLetTheLoopRun) {
  int runs = 0;
  auto set = std::make_shared<TaskSet>();
  set->tasks.push_back(TaskDef{"spin",
                               1,
                               [&runs](User&) -> core::Task<> {
                                 ++runs;
                                 co_return;
                               },
                               {},
                               {}});
  cls.tasks.push_back(TaskDef{"Set", 1, {}, {}, set});
  loop.post([this] { user.request_stop(); });
  run();
  EXPECT_GE(runs, 1);
  EXPECT_LE(runs, 64);
}

}  // namespace
}  // namespace loadgen::scenario
