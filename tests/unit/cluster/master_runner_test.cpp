// Tests for cluster/master_runner (the fixture: master_test_util.hpp): the handshake and stable
// indexes, creation errors, a start that waits for expect_workers (and gives up), the ramp's
// steps with the dispatcher's per-worker class counts, and a joining worker and set-users
// redistributing. Real time is spent only waiting for frames to cross the loopback (bounded
// waits). The workers' messages and liveness: master_runner_workers_test.cpp; stop and quit:
// master_runner_stop_test.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "master_test_util.hpp"

namespace loadgen::cluster::testing {
namespace {

TEST_F(MasterTest, HandshakeAcksStableIndexes) {
  make(settings());
  auto& w1 = join("hostA_1");
  auto& w2 = join("hostB_2", "");  // Debian's Locust sends no version: accepted, warned
  EXPECT_EQ(index_of(w1), 0);
  EXPECT_EQ(index_of(w2), 1);
  // The ack names the master's version: a loadgen worker then sends exact counts.
  EXPECT_EQ(std::get<AckData>(w1.got.back().data).loadgen, std::optional<std::string>("2.12.1"));
  EXPECT_EQ(master->ready_workers(), 2);
  EXPECT_EQ(log.count("Worker hostA_1 (index 0) reported as ready. 1 workers connected."), 1)
      << log.all();
  EXPECT_EQ(log.count("Worker hostB_2 (index 1) reported as ready. 2 workers connected."), 1);
  EXPECT_EQ(log.count("Worker hostB_2 sent no version"), 1);
  // A worker that stops re-registers with client_ready: same index.
  w1.send(MessageType::kClientStopped);
  ASSERT_TRUE(until([&] { return master->ready_workers() == 1; }));
  ready(w1, "2.8.0");
  EXPECT_EQ(index_of(w1), 0);
  EXPECT_EQ(log.count("running a different version (2.8.0)"), 1) << log.all();
  const auto list = master->workers();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "hostA_1");
  EXPECT_EQ(list[0].state, "ready");
  // A controller's snapshot lists them (the web UI's Workers tab).
  const auto snap = master->snapshot();
  ASSERT_TRUE(snap.workers);
  ASSERT_EQ(snap.workers->size(), 2u);
  EXPECT_EQ((*snap.workers)[1].id, "hostB_2");
  EXPECT_EQ((*snap.workers)[1].state, "ready");
}

TEST_F(MasterTest, BindErrorNamesTheAddress) {
  make(settings());
  auto s = settings();
  s.bind_port = master->port();
  auto second = MasterRunner::create(std::move(s), now, wall());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find(fmt::format("127.0.0.1:{}", master->port())),
            std::string::npos)
      << second.error().message;
}

TEST_F(MasterTest, ClassesThatCannotBeDispatchedAreAnError) {
  auto s = settings();
  s.class_names = {"A"};
  auto r = MasterRunner::create(std::move(s), now, wall());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_value");
}

TEST_F(MasterTest, StartWaitsForExpectedWorkersThenRamps) {
  make(settings());
  auto& w1 = join("hostA_1");
  master->start(4, 2);
  settle();
  EXPECT_EQ(master->state(), RunState::kReady);
  EXPECT_EQ(w1.count(MessageType::kSpawn), 0u);
  EXPECT_EQ(log.count("Waiting for workers to be ready, 1 of 2 connected"), 1) << log.all();
  now += 0.5;
  settle();
  EXPECT_EQ(log.count("Waiting for workers to be ready, 1 of 2 connected"), 1);
  now += 0.5;
  settle();
  EXPECT_EQ(log.count("Waiting for workers to be ready, 1 of 2 connected"), 2);

  auto& w2 = join("hostB_2");
  ASSERT_TRUE(
      until([&] { return w1.count(MessageType::kSpawn) + w2.count(MessageType::kSpawn) >= 2; }));
  EXPECT_EQ(master->state(), RunState::kSpawning);
  EXPECT_EQ(log.count("Sending spawn jobs of 4 users at 2.00 spawn rate to 2 ready workers"), 1)
      << log.all();

  // The same steps as a dispatcher over the same workers: 2 users a step, one step a second.
  const auto ref = ref_steps({"hostA_1", "hostB_2"}, 4, 2);
  ASSERT_EQ(ref.size(), 2u);
  const auto& step1 = ref[0];
  EXPECT_EQ(w1.last_counts(), step1[0]);
  EXPECT_EQ(w2.last_counts(), step1[1]);
  const std::size_t sent1 = w1.spawns().size() + w2.spawns().size();
  now += 0.5;
  settle();
  EXPECT_EQ(w1.spawns().size() + w2.spawns().size(), sent1);  // not before the interval
  now += 0.5;
  const auto& step2 = ref[1];
  ASSERT_TRUE(until([&] { return w1.last_counts() == step2[0] && w2.last_counts() == step2[1]; }));
  settle();
  EXPECT_EQ(master->state(), RunState::kRunning);

  for (FakeWorker* w : {&w1, &w2}) {
    const auto spawns = w->spawns();
    for (std::size_t i = 0; i < spawns.size(); ++i) {
      ASSERT_EQ(spawns[i].user_classes_count.size(), 2u);  // every class
      EXPECT_EQ(spawns[i].user_classes_count[0].first, "A");
      EXPECT_EQ(spawns[i].user_classes_count[1].first, "B");
      ASSERT_TRUE(spawns[i].stop_timeout);
      EXPECT_EQ(*spawns[i].stop_timeout, 2.0);
      if (i) {
        EXPECT_GT(spawns[i].timestamp, spawns[i - 1].timestamp);
      }
    }
  }
  // Class totals follow the weights (3:1).
  std::int64_t a = 0, b = 0;
  for (FakeWorker* w : {&w1, &w2}) {
    a += w->last_counts()[0];
    b += w->last_counts()[1];
  }
  EXPECT_EQ(a, 3);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(master->target(), 4);
  EXPECT_EQ(master->spawn_rate(), 2.0);
  EXPECT_EQ(master->ramp_generation(), 1u);

  // "All users spawned" once the workers report their users (or after 1 s without).
  report_counts(w1);
  report_counts(w2);
  ASSERT_TRUE(until([&] { return master->alive() == 4; }));
  ASSERT_TRUE(until([&] { return log.count("All users spawned") == 1; })) << log.all();
  EXPECT_EQ(log.count("All users spawned: {\"A\": 3, \"B\": 1} (4 total users)"), 1) << log.all();
  EXPECT_EQ(info("hostA_1")->state, "running");
}

TEST_F(MasterTest, WebUiStartWithoutWorkersIsRefused) {
  auto s = settings();
  s.wait_for_workers = false;
  make(std::move(s));
  master->start(2, 1);
  settle();
  EXPECT_EQ(master->state(), RunState::kReady);
  EXPECT_EQ(log.count("You can't start a distributed test before at least one worker"), 1);
  // With one worker (fewer than expect_workers) the web UI starts at once.
  auto& w1 = join("hostA_1");
  master->start(2, 2);
  ASSERT_TRUE(until([&] { return w1.count(MessageType::kSpawn) == 1; })) << log.all();
  const auto counts = w1.last_counts();
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0] + counts[1], 2);
}

TEST_F(MasterTest, GivesUpWaitingAfterMaxWait) {
  auto s = settings();
  s.expect_workers_max_wait = 3s;
  make(std::move(s));
  auto& w1 = join("hostA_1");
  master->start(2, 1);
  for (int i = 0; i < 3; ++i) {
    settle();
    EXPECT_FALSE(master->gave_up_waiting());
    now += 1.0;
  }
  ASSERT_TRUE(until([&] { return w1.count(MessageType::kQuit) == 1; }));
  EXPECT_TRUE(master->gave_up_waiting());
  EXPECT_TRUE(master->quitting());
  EXPECT_EQ(master->state(), RunState::kStopped);
  EXPECT_EQ(log.count("Gave up waiting for workers to connect"), 1);
  EXPECT_EQ(log.count("Waiting for workers to be ready, 1 of 2 connected"), 3) << log.all();
  EXPECT_EQ(w1.count(MessageType::kSpawn), 0u);
  master->shutdown();  // the quit was sent: not twice
  settle();
  EXPECT_EQ(w1.count(MessageType::kQuit), 1u);
}

TEST_F(MasterTest, JoiningWorkerAndSetUsersRedistribute) {
  make(settings());
  run_two(4, 4);
  auto& w1 = *workers[0];
  auto& w2 = *workers[1];
  // A third worker while running: the users are shared over three at once.
  auto& w3 = join("hostC_3");
  const auto three = ref_steps({"hostA_1", "hostB_2", "hostC_3"}, 4, 4).back();
  ASSERT_TRUE(until([&] {
    return w1.last_counts() == three[0] && w2.last_counts() == three[1] &&
           w3.last_counts() == three[2];
  })) << log.all();
  EXPECT_EQ(master->ramp_generation(), 1u);
  // Down to 2 users at 1/s: one user a second, the newest first.
  master->set_users(2, 1);
  const auto down = ref_steps({"hostA_1", "hostB_2", "hostC_3"}, 2, 4).back();
  ASSERT_TRUE(until([&] { return master->ramp_generation() == 2u; }));
  EXPECT_EQ(log.count("Sending spawn jobs of 2 users at 1.00 spawn rate to 3 ready workers"), 1);
  auto total = [&] {
    std::int64_t n = 0;
    for (FakeWorker* w : {&w1, &w2, &w3}) {
      for (auto c : w->last_counts()) n += c;
    }
    return n;
  };
  ASSERT_TRUE(until([&] { return total() == 3; }));
  settle();
  EXPECT_EQ(total(), 3);
  EXPECT_EQ(master->state(), RunState::kSpawning);
  now += 1.0;
  ASSERT_TRUE(until([&] { return total() == 2; }));
  EXPECT_EQ(w1.last_counts(), down[0]);
  EXPECT_EQ(w2.last_counts(), down[1]);
  EXPECT_EQ(w3.last_counts(), down[2]);
  settle();
  EXPECT_EQ(master->state(), RunState::kRunning);
  EXPECT_EQ(master->target(), 2);
}

}  // namespace
}  // namespace loadgen::cluster::testing
