// Tests for cluster/master_runner, stopping and quitting (fixture: master_test_util.hpp): a stop
// waits for every worker (or stop_timeout + 5 s), a quit for the final stats and quits (or
// quit_wait), and a headless master quits when its last worker quits.
#include <gtest/gtest.h>

#include "master_test_util.hpp"

namespace loadgen::cluster::testing {
namespace {

TEST_F(MasterTest, StopWaitsForEveryWorkerThenWorkersComeBack) {
  make(settings());
  run_two(2, 2);
  auto& w1 = *workers[0];
  auto& w2 = *workers[1];
  master->stop();
  ASSERT_TRUE(until(
      [&] { return w1.count(MessageType::kStop) == 1 && w2.count(MessageType::kStop) == 1; }));
  EXPECT_EQ(master->state(), RunState::kStopping);
  EXPECT_FALSE(drive());
  w1.send(MessageType::kClientStopped);
  ASSERT_TRUE(until([&] { return master->workers().size() == 1; }));
  EXPECT_EQ(master->state(), RunState::kStopping);
  w2.send(MessageType::kClientStopped);
  ASSERT_TRUE(until([&] { return master->state() == RunState::kStopped; }));
  EXPECT_EQ(
      log.count(
          "Worker hostA_1 (index 0) reported that it has stopped, removing from running workers"),
      1);
  EXPECT_FALSE(master->quitting());
  // They re-register; a new start clears the stats and ramps again.
  ready(w1);
  ready(w2);
  EXPECT_EQ(index_of(w1), 0);
  EXPECT_EQ(index_of(w2), 1);
  master->start(2, 2);
  ASSERT_TRUE(until([&] {
    return master->state() == RunState::kSpawning || master->state() == RunState::kRunning;
  }));
  EXPECT_EQ(master->ramp_generation(), 2u);
}

TEST_F(MasterTest, StopEndsAfterStopTimeoutPlusFive) {
  make(settings());
  run_two(2, 2);
  auto& w1 = *workers[0];
  auto& w2 = *workers[1];
  master->stop();
  ASSERT_TRUE(until([&] { return w2.count(MessageType::kStop) == 1; }));
  w1.send(MessageType::kClientStopped);
  ASSERT_TRUE(until([&] { return master->workers().size() == 1; }));
  // w2 keeps beating and running: the stop gives up at stop_timeout (2 s) + 5 s.
  for (int i = 0; i < 6; ++i) {
    tick({&w2});
    EXPECT_EQ(master->state(), RunState::kStopping) << i;
  }
  tick({&w2});
  EXPECT_EQ(master->state(), RunState::kStopped);
  EXPECT_EQ(log.count("Timeout waiting for all workers to stop"), 1);
}

TEST_F(MasterTest, QuitWaitsForFinalStatsAndQuit) {
  make(settings());
  run_two(2, 2);
  auto& w1 = *workers[0];
  auto& w2 = *workers[1];
  master->quit();
  ASSERT_TRUE(until(
      [&] { return w1.count(MessageType::kQuit) == 1 && w2.count(MessageType::kQuit) == 1; }));
  EXPECT_TRUE(master->quitting());
  EXPECT_EQ(w1.count(MessageType::kStop), 0u);  // headless end: only quit (locust.md §2.4)
  EXPECT_EQ(master->state(), RunState::kStopping);
  for (FakeWorker* w : {&w1, &w2}) {
    StatsReport r;
    r.delta.entries.push_back(entry("/final", 10, 19, wall()));
    w->send(MessageType::kStats, r);
  }
  w1.send(MessageType::kQuit);
  ASSERT_TRUE(until([&] { return master->workers().size() == 1; }));
  EXPECT_EQ(master->state(), RunState::kStopping);
  w2.send(MessageType::kQuit);
  ASSERT_TRUE(until([&] { return master->state() == RunState::kStopped; }));
  EXPECT_EQ(master->stats().total().num_requests, 20u);
  EXPECT_EQ(log.count("Worker 'hostB_2' (index 1) quit. 0 workers ready."), 1) << log.all();
  master->shutdown();
  settle();
  EXPECT_EQ(w1.count(MessageType::kQuit), 1u);
}

TEST_F(MasterTest, QuitGivesUpOnSilentWorkers) {
  make(settings());
  auto& w1 = join("hostA_1");
  master->quit();
  ASSERT_TRUE(until([&] { return w1.count(MessageType::kQuit) == 1; }));
  EXPECT_EQ(master->state(), RunState::kStopping);
  now += 2.5;
  settle();
  EXPECT_EQ(master->state(), RunState::kStopping);
  now += 0.5;
  ASSERT_TRUE(until([&] { return master->state() == RunState::kStopped; }));
}

TEST_F(MasterTest, HeadlessMasterQuitsWhenTheLastWorkerQuits) {
  make(settings());
  run_two(2, 2);
  workers[0]->send(MessageType::kQuit);
  ASSERT_TRUE(until([&] { return master->workers().size() == 1; }));
  EXPECT_FALSE(master->quitting());
  workers[1]->send(MessageType::kQuit);
  ASSERT_TRUE(until([&] { return master->quitting(); }));
  EXPECT_EQ(log.count("The last worker quit, stopping test."), 1) << log.all();
  ASSERT_TRUE(until([&] { return master->state() == RunState::kStopped; }));
}

}  // namespace
}  // namespace loadgen::cluster::testing
