// Tests for engine/local_runner: commands posted from another thread while the run spawns,
// changes and stops are all applied, in order, by the driving thread (real workers, napping
// users, the ramp on a virtual clock); the state as Locust names it; snapshots from any thread.
#include "engine/local_runner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "core/clock.hpp"
#include "http/url.hpp"
#include "plan/arrival_schedule.hpp"
#include "plan/stages.hpp"
#include "test_server.hpp"

namespace loadgen::engine {
namespace {

using namespace std::chrono_literals;

class Napper : public scenario::User {
 public:
  core::Task<> nap() { co_await sleep(60s); }              // ends early when the user is stopped
  core::Task<> hang() { co_await client().get("/hang"); }  // a graceful stop cannot end it
};

scenario::Scenario nappers(core::Task<> (Napper::*fn)() = &Napper::nap) {
  scenario::UserClass c;
  c.name = "Napper";
  c.wait_time = scenario::WaitTime::constant(0);
  c.tasks.push_back(scenario::task<Napper>("task", 1, fn));
  c.make = [] { return std::make_unique<Napper>(); };
  scenario::Scenario s;
  s.name = "test";
  s.needs_host = false;
  s.user_classes.push_back(std::move(c));
  return s;
}

EngineConfig config() {
  EngineConfig cfg;
  cfg.threads = 2;
  cfg.seed = 1;
  return cfg;
}

// The driving thread: drives the runner on a virtual clock (+0.05 s a turn) until `done` or
// 20 s of real time; between turns it waits for a command (at most 1 ms), as a driver does.
bool drive_until(LocalRunner& r, double& vt, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    r.drive(vt, core::wall_seconds());
    vt += 0.05;
    r.wait_for_command(1ms);
  }
  return true;
}

// A poster's wait for what the driving thread publishes.
bool wait_for(const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(LocalRunner, CommandsFromAnotherThreadWhileSpawningChangingAndStopping) {
  double vt = 1000.0;
  LocalRunner r(config(), nappers(), {}, vt, core::wall_seconds());
  EXPECT_EQ(r.state(), RunState::kReady);
  constexpr int kChanges = 200;
  bool poster_ok = true;
  std::thread poster([&] {
    r.start(40, 2);  // 2 users a (virtual) second: spawning for a while
    poster_ok = wait_for([&] { return r.state() == RunState::kSpawning; });
    // Changes while spawning, faster than the driver takes them: the last one wins and each
    // is a ramp of its own.
    for (int i = 1; i <= kChanges; ++i) r.set_users(i % 7 + 1, 1000);
    r.set_users(5, 1000);
    poster_ok = poster_ok && wait_for([&] {
                  const RunnerSnapshot s = r.snapshot();
                  return s.state == RunState::kRunning && s.target == 5 && s.user_count == 5;
                });
    r.stop();
    r.set_users(30, 1000);  // after the stop: ignored
  });
  const bool stopped = drive_until(r, vt, [&] { return r.state() == RunState::kStopped; });
  poster.join();
  ASSERT_TRUE(poster_ok);
  ASSERT_TRUE(stopped);
  // Stopped stays stopped; a command posted after the stop is still taken (and ignored).
  r.drive(vt, core::wall_seconds());
  EXPECT_EQ(r.state(), RunState::kStopped);
  EXPECT_EQ(r.commands_applied(), static_cast<std::uint64_t>(kChanges + 4));
  EXPECT_EQ(r.local_engine().ramp_generation(), static_cast<std::uint64_t>(kChanges + 2));
  EXPECT_EQ(r.local_engine().target(), 5);  // the last change before the stop
  EXPECT_TRUE(r.local_engine().idle());
  EXPECT_EQ(r.local_engine().users_started(), r.local_engine().users_stopped());
  EXPECT_FALSE(r.quitting());
  r.local_engine().shutdown();
}

TEST(LocalRunner, QuitAndKillFromAnotherThreadEndTheRun) {
  testing::TestServer server([](const testing::ReceivedRequest&) {
    return testing::Reply{"", testing::Reply::After::kHang};
  });
  EngineConfig cfg = config();
  cfg.stop_timeout = 60s;  // graceful: the hanging users would wait a minute; the kill ends them
  cfg.client.set_base(*http::parse_url(server.base_url()));
  double vt = 0;
  LocalRunner r(std::move(cfg), nappers(&Napper::hang), {}, vt, core::wall_seconds());
  std::thread poster([&] {
    r.start(6, 100);
    if (!server.wait_for([&] { return server.request_count() == 6; })) return;
    r.quit();
    if (!wait_for([&] { return r.state() == RunState::kStopping; })) return;
    r.kill_now();
  });
  // The virtual clock does not reach the stop bound (60 + 5 s) here: only the kill ends it.
  const bool stopped = drive_until(r, vt, [&] { return r.state() == RunState::kStopped; });
  poster.join();
  ASSERT_TRUE(stopped);
  EXPECT_LT(vt, 60.0);
  EXPECT_TRUE(r.quitting());
  EXPECT_EQ(r.commands_applied(), 3u);
  EXPECT_TRUE(r.local_engine().idle());
  r.local_engine().shutdown();
}

TEST(LocalRunner, SnapshotFromAnotherThreadCarriesTheStats) {
  double vt = 0;
  LocalRunner r(config(), nappers(), {}, vt, core::wall_seconds());
  EXPECT_EQ(r.snapshot().stats, nullptr);  // asked for: published at the next collection
  r.start(2, 100);
  std::shared_ptr<const stats::Aggregate> seen;
  std::thread reader([&] {
    wait_for([&] {
      seen = r.snapshot().stats;
      return seen != nullptr;
    });
  });
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.next_collect_s() > 2.5; }));
  reader.join();
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->total().num_requests, 0u);
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  r.local_engine().shutdown();
}

// A GET scenario against `server` (2 ms between requests).
scenario::Scenario getters() {
  scenario::GetScenarioSettings gs;
  gs.paths = {"/a"};
  gs.wait_time = scenario::WaitTime::constant(0.002);
  return scenario::make_get_scenario(gs);
}

EngineConfig config_for(const testing::TestServer& server) {
  EngineConfig cfg = config();
  cfg.client.set_base(*http::parse_url(server.base_url()));
  return cfg;
}

TEST(LocalRunner, StartAfterStopBeginsANewRunFromZero) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  double vt = 1000.0;
  LocalRunner r(config_for(server), getters(), {}, vt, core::wall_seconds());
  const auto& total = [&]() -> const stats::Entry& { return r.local_engine().stats().total(); };
  r.start(2, 100);
  ASSERT_TRUE(drive_until(r, vt, [&] { return total().num_requests >= 20; }));
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  // The stop cancels a request in flight (Locust kills its users): the server may have seen
  // at most one request per user that no one counts; no completed request is lost.
  const std::size_t first_run = server.request_count();
  EXPECT_LE(total().num_requests, first_run);
  EXPECT_GE(total().num_requests + 2, first_run);

  // Locust's start() after a stop: stats and exceptions cleared, new users, same workers.
  r.start(3, 100);
  r.drive(vt, core::wall_seconds());
  EXPECT_NE(r.state(), RunState::kStopped);
  EXPECT_TRUE(r.local_engine().stats().entries().empty());  // clear_all: rows removed
  EXPECT_LE(total().num_requests, 3u);  // at most what the new users did in this turn
  ASSERT_TRUE(drive_until(r, vt, [&] {
    return r.state() == RunState::kRunning && r.local_engine().alive() == 3 &&
           total().num_requests >= 30;
  }));
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  EXPECT_LE(total().num_requests, server.request_count() - first_run);
  EXPECT_GE(total().num_requests + 3, server.request_count() - first_run);
  r.local_engine().shutdown();
}

// Two classes of nappers (a distributed worker's scenario).
scenario::Scenario two_classes() {
  scenario::Scenario s = nappers();
  scenario::UserClass b = s.user_classes.front();
  b.name = "Other";
  s.user_classes.push_back(std::move(b));
  return s;
}

Command class_counts(std::vector<std::int64_t> counts) {
  Command c{Command::Kind::kSetClassCounts};
  c.class_counts = std::move(counts);
  return c;
}

TEST(LocalRunner, ClassCountsStartAndStopTheNewestUsersOfEachClassAtOnce) {
  double vt = 0;
  LocalRunner r(config(), two_classes(), {}, vt, core::wall_seconds());
  Engine& eng = r.local_engine();
  r.post(class_counts({3, 2}));
  r.drive(vt, core::wall_seconds());
  // Reached at once (the master applies the spawn rate), whatever the spawn rate.
  EXPECT_EQ(eng.class_counts(), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(eng.target(), 5);
  EXPECT_EQ(r.state(), RunState::kRunning);
  ASSERT_TRUE(drive_until(r, vt, [&] { return eng.alive() == 5; }));
  const std::uint64_t stopped_before = eng.users_stopped();
  r.post(class_counts({1, 4}));  // two of the first class stop, two of the second start
  r.drive(vt, core::wall_seconds());
  EXPECT_EQ(eng.class_counts(), (std::vector<std::int64_t>{1, 4}));
  ASSERT_TRUE(drive_until(r, vt, [&] { return eng.users_stopped() == stopped_before + 2; }));
  ASSERT_TRUE(drive_until(r, vt, [&] { return eng.alive() == 5; }));
  r.post(class_counts({0}));  // a missing class counts 0
  r.drive(vt, core::wall_seconds());
  EXPECT_EQ(eng.class_counts(), (std::vector<std::int64_t>{0, 0}));
  ASSERT_TRUE(drive_until(r, vt, [&] { return eng.alive() == 0; }));
  // After a stop, a spawn begins a new run.
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  r.post(class_counts({2, 0}));
  ASSERT_TRUE(drive_until(r, vt, [&] { return eng.alive() == 2; }));
  EXPECT_EQ(r.state(), RunState::kRunning);
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  eng.shutdown();
}

TEST(LocalRunner, DeltasAddUpToTheTotalsAndAreTakenOnce) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  double vt = 1000.0;
  EngineConfig cfg = config_for(server);
  cfg.keep_deltas = true;
  LocalRunner r(std::move(cfg), getters(), {}, vt, core::wall_seconds());
  Engine& eng = r.local_engine();
  r.start(2, 100);
  std::uint64_t reported = 0;
  int takes = 0;
  ASSERT_TRUE(drive_until(r, vt, [&] {
    if (r.next_collect_s() > vt + 0.9) {  // just collected: take what it merged
      const StatsDelta d = eng.take_delta();
      for (const stats::Entry& e : d.stats.entries) reported += e.num_requests;
      ++takes;
    }
    return eng.stats().total().num_requests >= 50 && takes >= 3;
  }));
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  for (const stats::Entry& e : eng.take_delta().stats.entries) reported += e.num_requests;
  EXPECT_EQ(reported, eng.stats().total().num_requests);  // every request reported once
  EXPECT_TRUE(eng.take_delta().stats.entries.empty());
  eng.shutdown();
}

TEST(LocalRunner, StartWhileStoppingWaitsForTheStopAndQuitEndsRestarts) {
  double vt = 0;
  LocalRunner r(config(), nappers(), {}, vt, core::wall_seconds());
  r.start(4, 100);
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.local_engine().alive() == 4; }));
  r.stop();
  r.start(2, 100);  // applied once the stop has ended
  ASSERT_TRUE(drive_until(
      r, vt, [&] { return r.state() == RunState::kRunning && r.local_engine().alive() == 2; }));
  r.quit();
  r.start(5, 100);  // after a quit: ignored
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  for (int i = 0; i < 5; ++i) r.drive(vt += 0.05, core::wall_seconds());
  EXPECT_EQ(r.state(), RunState::kStopped);
  EXPECT_TRUE(r.quitting());
  EXPECT_EQ(r.local_engine().alive(), 0);
}

TEST(LocalRunner, SnapshotAskedOnlyAfterTheStopGetsTheFinalStats) {
  double vt = 0;
  LocalRunner r(config(), nappers(), {}, vt, core::wall_seconds());
  r.start(2, 100);
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.next_collect_s() > 2.5; }));
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  EXPECT_EQ(r.snapshot().stats, nullptr);  // nobody asked before: nothing published yet
  r.drive(vt, core::wall_seconds());
  const RunnerSnapshot s = r.snapshot();
  ASSERT_NE(s.stats, nullptr);
  EXPECT_EQ(s.stats->total().num_requests, r.local_engine().stats().total().num_requests);
  r.local_engine().shutdown();
}

// ---- load shapes and the open model (docs/load-models.md) ----

LocalRunner::Settings with_stages(const char* text) {
  LocalRunner::Settings st;
  st.shape = [stages = *plan::parse_stages(text, plan::StageKind::kUsers, "test")] {
    return std::unique_ptr<plan::LoadShape>(std::make_unique<plan::StagesShape>(stages));
  };
  return st;
}

TEST(LocalRunner, AShapeSetsTheUserCountIgnoresOtherCountsAndStopsTheRun) {
  double vt = 1000.0;
  LocalRunner r(config(), nappers(), with_stages("10s:4:100,10s:2:100"), vt, core::wall_seconds());
  r.start(50, 1);  // the shape's count wins (Locust's /swarm with a LoadTestShape)
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.local_engine().alive() == 4; }));
  EXPECT_EQ(r.snapshot().target, 4);
  r.set_users(7, 100);  // ignored while the shape drives
  const double t_first = vt;
  ASSERT_TRUE(drive_until(r, vt, [&] { return vt >= 1009.9; }));
  EXPECT_EQ(r.local_engine().target(), 4);
  EXPECT_LT(t_first, 1010.0);
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.local_engine().alive() == 2; }));
  EXPECT_GE(vt, 1010.0);
  // After the last stage the run stops by itself.
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  EXPECT_GE(vt, 1020.0);
  EXPECT_EQ(r.local_engine().alive(), 0);
  // A start after the stop runs the shape again from its first stage.
  r.start(1, 1);
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.local_engine().alive() == 4; }));
  r.quit();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  r.local_engine().shutdown();
}

EngineConfig open_model(const testing::TestServer& server, plan::ArrivalSchedule schedule,
                        std::int64_t max_users) {
  EngineConfig cfg = config_for(server);
  cfg.arrivals = ArrivalConfig{std::make_shared<const plan::ArrivalSchedule>(schedule), max_users};
  return cfg;
}

TEST(LocalRunner, OpenModelStartsIterationsOnScheduleFromABoundedPool) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  double vt = 1000.0;
  LocalRunner r(open_model(server, plan::ArrivalSchedule::constant(200), 5), getters(), {}, vt,
                core::wall_seconds());
  r.start(1, 1);  // the count means nothing here: users come with the arrivals
  r.drive(vt, core::wall_seconds());
  EXPECT_EQ(r.state(), RunState::kRunning);
  const auto& stats = r.local_engine().stats();
  ASSERT_TRUE(drive_until(r, vt, [&] {
    for (const stats::Entry* e : stats.entries()) {
      if (e->method == stats::kIterationMethod && e->num_requests >= 100) return true;
    }
    return false;
  }));
  EXPECT_LE(r.local_engine().alive(), 5);
  EXPECT_GE(r.local_engine().alive(), 1);
  EXPECT_TRUE(r.local_engine().open_model());
  r.set_users(50, 100);  // no closed-model users in the open model
  r.drive(vt, core::wall_seconds());
  EXPECT_LE(r.local_engine().alive(), 5);
  r.stop();
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  // ITER rows (one per task name) sit beside the request rows; the Aggregated total counts
  // requests only.
  std::uint64_t iterations = 0, requests = 0;
  for (const stats::Entry* e : stats.entries()) {
    (e->method == stats::kIterationMethod ? iterations : requests) += e->num_requests;
  }
  EXPECT_GE(iterations, 100u);
  EXPECT_EQ(stats.total().num_requests, requests);
  EXPECT_LE(iterations, requests + 5);
  EXPECT_GE(iterations + 5, requests);
  EXPECT_EQ(r.local_engine().iterations_dropped(), 0u);
  r.local_engine().shutdown();
}

TEST(LocalRunner, OpenModelDropsArrivalsThePoolCannotServeAndEndsWithItsStages) {
  // Every request takes 100 ms; 100 arrivals/s for 0.5 s with at most 2 users.
  testing::TestServer server([](const testing::ReceivedRequest&) {
    std::this_thread::sleep_for(100ms);
    return testing::http_reply(200, "ok");
  });
  double vt = 1000.0;
  const auto stages = *plan::parse_stages("0s:100,500ms:100", plan::StageKind::kArrivalRate, "t");
  LocalRunner r(open_model(server, plan::ArrivalSchedule::ramping(stages), 2), getters(), {}, vt,
                core::wall_seconds());
  r.start(1, 1);
  // The schedule's end stops the run.
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  EXPECT_LE(server.request_count(), 2u * 6u + 2u);
  EXPECT_GE(r.local_engine().iterations_dropped(), 30u);
  EXPECT_LE(r.local_engine().iterations_dropped(), 51u);
  r.local_engine().shutdown();
}

TEST(LocalRunner, OpenModelWithFewerUsersThanWorkersDropsNothingWhileAUserIsIdle) {
  // One user on two worker threads, 20 fast arrivals over 1 s: only one worker takes arrivals,
  // with the whole pool (the other worker used to drop its half: the user was not its own).
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  double vt = 1000.0;
  const auto stages = *plan::parse_stages("0s:20,1s:20", plan::StageKind::kArrivalRate, "t");
  LocalRunner r(open_model(server, plan::ArrivalSchedule::ramping(stages), 1), getters(), {}, vt,
                core::wall_seconds());
  r.start(1, 1);
  ASSERT_TRUE(drive_until(r, vt, [&] { return r.state() == RunState::kStopped; }));
  EXPECT_EQ(r.local_engine().iterations_dropped(), 0u);
  EXPECT_GE(server.request_count(), 19u);
  r.local_engine().shutdown();
}

}  // namespace
}  // namespace loadgen::engine
