// Tests for cluster/master_runner, the workers' messages (fixture: master_test_util.hpp): merged
// stats and exceptions, a silent worker going missing (its users move), self-healing and being
// forgotten, undecodable and unknown messages, and the rate-limited CPU warning.
#include <gtest/gtest.h>

#include "master_test_util.hpp"

namespace loadgen::cluster::testing {
namespace {

TEST_F(MasterTest, MergesStatsAndExceptionsFromWorkers) {
  make(settings());
  run_two(4, 4);
  auto& w1 = *workers[0];
  auto& w2 = *workers[1];
  StatsReport r1;
  r1.delta.entries.push_back(entry("/a", 1, 100, wall()));
  r1.delta.errors.add("GET", "/a", "HTTPError 500", 2);
  r1.user_classes_count = {{"A", 2}, {"B", 1}};
  r1.user_count = 3;
  r1.exceptions = {{{"A", "browse", "boom"}, 3}};
  StatsReport r2;
  r2.delta.entries.push_back(entry("/a", 101, 200, wall()));
  r2.delta.entries.push_back(entry("/b", 5, 5, wall()));
  r2.user_classes_count = {{"A", 1}, {"B", 0}};
  r2.user_count = 1;
  r2.exceptions = {{{"A", "browse", "boom"}, 1}};
  w1.send(MessageType::kStats, r1);
  w2.send(MessageType::kStats, r2);
  w2.send(MessageType::kException, ExceptionData{.msg = "ZeroDivisionError", .traceback = "tb"});
  ASSERT_TRUE(until([&] { return master->stats().total().num_requests == 201; }));
  ASSERT_TRUE(until([&] { return master->exceptions().size() == 2; }));
  const auto& total = master->stats().total();
  EXPECT_NEAR(total.percentile_ms(0.5), 100, 6);
  EXPECT_NEAR(total.percentile_ms(0.95), 190, 10);
  EXPECT_EQ(total.max_response_time_ms(), 200);
  const auto rows = master->stats().entries();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]->name, "/a");
  EXPECT_EQ(rows[0]->num_requests, 200u);
  EXPECT_EQ(master->stats().errors().total(), 2u);
  EXPECT_EQ(master->exceptions().at({"A", "browse", "boom"}), 4u);
  EXPECT_EQ(master->exceptions().at({"", "", "ZeroDivisionError"}), 1u);
  EXPECT_EQ(master->alive(), 4);
  EXPECT_EQ(info("hostA_1")->user_count, 3);

  // A controller's snapshot: the start published the cleared stats; the next collection
  // (about once a second) copies the merged ones.
  ASSERT_NE(master->snapshot().stats, nullptr);
  EXPECT_EQ(master->snapshot().stats->total().num_requests, 0u);
  now += 1.0;
  EXPECT_TRUE(drive());
  EXPECT_FALSE(drive());
  const auto snap = master->snapshot();
  ASSERT_NE(snap.stats, nullptr);
  EXPECT_EQ(snap.stats->total().num_requests, 201u);
  ASSERT_NE(snap.exceptions, nullptr);
  EXPECT_EQ(snap.exceptions->size(), 2u);
  EXPECT_EQ(snap.user_count, 4);
  EXPECT_EQ(snap.target, 4);
  EXPECT_EQ(snap.state, RunState::kRunning);

  // Reset: zeroed, rows kept.
  master->reset_stats();
  settle();
  EXPECT_EQ(master->stats().total().num_requests, 0u);
  EXPECT_TRUE(master->exceptions().empty());
}

TEST_F(MasterTest, SilentWorkerGoesMissingItsUsersMoveAndItSelfHeals) {
  make(settings());
  run_two(4, 4);
  auto& w1 = *workers[0];
  auto& w2 = *workers[1];
  const auto w2_counts = w2.last_counts();
  const std::size_t w2_spawns = w2.spawns().size();
  // w2 falls silent: missing below 0 (liveness 3: the 4th check without a heartbeat).
  for (int i = 0; i < 3; ++i) {
    tick({&w1});
    EXPECT_EQ(info("hostB_2")->state, "running") << i;
  }
  tick({&w1});
  EXPECT_EQ(info("hostB_2")->state, "missing");
  EXPECT_EQ(master->ready_workers(), 1);
  EXPECT_EQ(log.count("Worker hostB_2 failed to send heartbeat, setting state to missing"), 1)
      << log.all();
  EXPECT_EQ(log.count("(silent for 4.0 s)"), 1) << log.all();
  // Its users went to w1 at once: the dispatcher's counts for w1 alone.
  const auto all = ref_steps({"hostA_1"}, 4, 4).back();
  ASSERT_TRUE(until([&] { return w1.last_counts() == all[0]; })) << log.all();
  EXPECT_EQ(w2.spawns().size(), w2_spawns);

  // A heartbeat brings it back: the users are shared again, w2 keeps what it runs.
  tick({&w1, &w2});
  EXPECT_EQ(info("hostB_2")->state, "running");
  EXPECT_EQ(log.count("Worker hostB_2 self-healed with heartbeat, setting state to running."), 1);
  const auto shared = ref_steps({"hostA_1", "hostB_2"}, 4, 4).back();
  ASSERT_TRUE(until([&] { return w1.last_counts() == shared[0]; }));
  settle();
  EXPECT_EQ(w2.last_counts(), w2_counts);
  EXPECT_EQ(master->ready_workers(), 2);
}

TEST_F(MasterTest, MissingWorkerIsForgottenAfterDead) {
  make(settings());
  join("hostA_1");
  auto& w2 = join("hostB_2");
  (void)w2;
  for (int i = 0; i < 4; ++i) tick({workers[0].get()}, "ready");
  EXPECT_EQ(info("hostB_2")->state, "missing");
  // heartbeat_dead 6: missing at -1, forgotten at -6, five checks later.
  for (int i = 0; i < 5 && info("hostB_2"); ++i) tick({workers[0].get()}, "ready");
  EXPECT_FALSE(info("hostB_2"));
  EXPECT_EQ(log.count("Removing hostB_2 worker from running workers"), 1) << log.all();
  EXPECT_EQ(master->workers().size(), 1u);
}

TEST_F(MasterTest, GarbageFrameGetsReconnectAndUnknownTypesAreWarnedOnce) {
  make(settings());
  auto& w1 = join("hostA_1");
  w1.send_raw(std::string("\xc1\x00garbage", 9));
  ASSERT_TRUE(until([&] { return w1.count(MessageType::kReconnect) == 1; }));
  EXPECT_EQ(master->protocol_errors(), 1u);
  EXPECT_EQ(log.count("Undecodable message from worker hostA_1"), 1) << log.all();
  Message custom{
      .type = MessageType::kUnknown, .type_name = "custom_thing", .data = {}, .node_id = w1.id};
  w1.send(custom);
  w1.send(custom);
  ASSERT_TRUE(until([&] { return master->unknown_messages() == 2; }));
  EXPECT_EQ(log.count("Unknown message type received from worker hostA_1 (index 0): custom_thing"),
            1)
      << log.all();
  EXPECT_EQ(master->protocol_errors(), 1u);
  EXPECT_EQ(master->ready_workers(), 1);  // still registered
}

TEST_F(MasterTest, CpuWarningIsRateLimited) {
  make(settings());
  auto& w1 = join("hostA_1");
  for (int i = 0; i < 3; ++i) {
    now += 1.0;
    w1.send(
        MessageType::kHeartbeat,
        HeartbeatData{.state = "ready", .current_cpu_usage = 95.0 + i, .current_memory_usage = 1});
    ASSERT_TRUE(until([&] { return info("hostA_1")->cpu_usage == 95.0 + i; }));
  }
  EXPECT_EQ(log.count("Worker hostA_1 (index 0) exceeded cpu threshold"), 1) << log.all();
}

}  // namespace
}  // namespace loadgen::cluster::testing
