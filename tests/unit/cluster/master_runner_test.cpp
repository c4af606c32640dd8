// Tests for cluster/master_runner: a MasterRunner bound on 127.0.0.1 (ephemeral port) driven on
// a fake clock, with fake workers made of a DEALER Transport and the codec: the handshake and
// stable indexes, a start that waits for expect_workers (and gives up), the ramp's steps with
// the dispatcher's per-worker class counts, merged stats, a silent worker going missing (its
// users move) and self-healing, the stop and quit sequences, undecodable and unknown messages.
// Real time is spent only waiting for frames to cross the loopback (bounded waits).
#include "cluster/master_runner.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "cluster/message.hpp"
#include "cluster/transport.hpp"
#include "plan/dispatch.hpp"

namespace loadgen::cluster {
namespace {

using namespace std::chrono_literals;
using engine::RunState;

class CaptureLog final : public core::LogSink {
 public:
  void log(core::LogLevel, std::string_view message) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(message);
  }
  int count(std::string_view needle) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& l : lines_) n += l.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
  std::string all() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// A worker as the test plays it: a DEALER whose identity is its node id, and the codec.
struct FakeWorker {
  std::string id;
  std::unique_ptr<Transport> t;
  std::vector<Message> got;  // every message received, oldest first
  std::uint64_t undecodable = 0;

  FakeWorker(std::uint16_t port, std::string node_id) : id(std::move(node_id)) {
    auto c = Transport::connect("127.0.0.1", port, id);
    EXPECT_TRUE(c.ok());
    if (c) t = std::move(*c);
  }
  ~FakeWorker() {
    if (t) t->close(0ms);
  }
  void send(MessageType type, Payload data = std::monostate{}) {
    send(Message{.type = type,
                 .type_name = std::string(to_string(type)),
                 .data = std::move(data),
                 .node_id = id});
  }
  void send(const Message& m) { t->send(Frame{.peer = {}, .payload = encode(m)}); }
  void send_raw(std::string bytes) { t->send(Frame{.peer = {}, .payload = std::move(bytes)}); }
  void poll() {
    for (Frame& f : t->receive(0ms)) {
      auto m = decode(f.payload);
      if (m) {
        got.push_back(std::move(*m));
      } else {
        ++undecodable;
      }
    }
  }
  std::size_t count(MessageType type) const {
    return static_cast<std::size_t>(
        std::count_if(got.begin(), got.end(), [&](const Message& m) { return m.type == type; }));
  }
  // The spawn messages received, oldest first.
  std::vector<SpawnData> spawns() const {
    std::vector<SpawnData> out;
    for (const auto& m : got) {
      if (m.type == MessageType::kSpawn) out.push_back(std::get<SpawnData>(m.data));
    }
    return out;
  }
  std::vector<std::int64_t> last_counts() const {
    std::vector<std::int64_t> out;
    const auto s = spawns();
    if (s.empty()) return out;
    for (const auto& [cls, n] : s.back().user_classes_count) out.push_back(n);
    return out;
  }
};

// The steps a dispatcher over `ids` takes to `users` at `rate`, each one that changes the
// counts (what the master sends), as the master's own dispatcher takes them.
std::vector<plan::Distribution> ref_steps(std::vector<std::string> ids, std::int64_t users,
                                          double rate) {
  plan::Dispatcher d({plan::ClassPicker::ClassInfo{.weight = 3, .fixed_count = 0},
                      plan::ClassPicker::ClassInfo{.weight = 1, .fixed_count = 0}},
                     {"A", "B"});
  d.set_workers(std::move(ids));
  d.new_dispatch(users, rate);
  std::vector<plan::Distribution> out;
  plan::Distribution last(d.workers().size(), std::vector<std::int64_t>(2, 0));
  for (int i = 0; i < 1000; ++i) {
    auto step = d.next();
    if (!step) break;
    if (*step != last) out.push_back(*step);
    last = *step;
  }
  return out;
}

class MasterTest : public ::testing::Test {
 protected:
  MasterRunner::Settings settings() {
    MasterRunner::Settings s;
    s.bind_host = "127.0.0.1";
    s.bind_port = 0;
    s.expect_workers = 2;
    s.class_names = {"A", "B"};
    s.classes = {plan::ClassPicker::ClassInfo{.weight = 3, .fixed_count = 0},
                 plan::ClassPicker::ClassInfo{.weight = 1, .fixed_count = 0}};
    s.version = "2.12.1";
    s.log = &log;
    s.heartbeat_check_interval = 1000ms;
    s.heartbeat_liveness = 3;
    s.heartbeat_dead = 6;
    s.stop_timeout = 2s;
    s.quit_wait = 3000ms;
    return s;
  }
  void make(MasterRunner::Settings s) {
    auto r = MasterRunner::create(std::move(s), now, wall());
    ASSERT_TRUE(r.ok()) << r.error().message;
    master = std::move(*r);
  }
  double wall() const { return 1.7e9 + now; }
  bool drive() { return master->drive(now, wall()); }
  // Drives the master (the fake clock stands still) and polls the workers until `done`, or
  // 5 s of real time.
  bool until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (true) {
      drive();
      for (auto& w : workers) w->poll();
      if (done()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
  }
  // Drives and polls for 50 ms: for what must not happen.
  void settle() {
    const auto end = std::chrono::steady_clock::now() + 50ms;
    while (std::chrono::steady_clock::now() < end) {
      drive();
      for (auto& w : workers) w->poll();
      std::this_thread::sleep_for(1ms);
    }
  }
  FakeWorker& join(const std::string& id, const std::string& version = "2.12.1") {
    workers.push_back(std::make_unique<FakeWorker>(master->port(), id));
    FakeWorker& w = *workers.back();
    ready(w, version);
    return w;
  }
  // client_ready (again): waits for the ack.
  void ready(FakeWorker& w, const std::string& version = "2.12.1") {
    const std::size_t acks = w.count(MessageType::kAck);
    w.send(MessageType::kClientReady, version);
    EXPECT_TRUE(until([&] { return w.count(MessageType::kAck) > acks; })) << w.id;
  }
  std::int64_t index_of(const FakeWorker& w) const {
    for (auto it = w.got.rbegin(); it != w.got.rend(); ++it) {
      if (it->type == MessageType::kAck) return std::get<AckData>(it->data).index;
    }
    return -1;
  }
  std::optional<WorkerInfo> info(const std::string& id) const {
    for (const auto& i : master->workers()) {
      if (i.id == id) return i;
    }
    return std::nullopt;
  }
  // One second of fake time: the listed workers send a heartbeat (its CPU marks it, so the
  // test knows the master took it), then the master drives.
  void tick(const std::vector<FakeWorker*>& beating, const std::string& state = "running") {
    now += 1.0;
    ++beat_;
    for (FakeWorker* w : beating) {
      w->send(MessageType::kHeartbeat,
              HeartbeatData{.state = state,
                            .current_cpu_usage = static_cast<double>(beat_ % 50),
                            .current_memory_usage = 1000});
    }
    EXPECT_TRUE(until([&] {
      for (FakeWorker* w : beating) {
        auto i = info(w->id);
        if (!i || i->cpu_usage != static_cast<double>(beat_ % 50)) return false;
      }
      return true;
    }));
  }
  // Both workers ready and a ramp to `users` at `rate` done and reported.
  void run_two(std::int64_t users, double rate) {
    auto& w1 = join("hostA_1");
    auto& w2 = join("hostB_2");
    master->start(users, rate);
    while (true) {
      ASSERT_TRUE(until([&] { return !w1.spawns().empty() || !w2.spawns().empty(); }));
      settle();
      if (master->state() == RunState::kRunning) break;
      now += 1.0;
      ASSERT_LT(now, 1100);
    }
    for (FakeWorker* w : {&w1, &w2}) report_counts(*w);
    ASSERT_TRUE(until([&] { return master->alive() == users; }));
  }
  // The worker says it runs what it was last told.
  void report_counts(FakeWorker& w) {
    SpawningCompleteData d;
    const auto s = w.spawns();
    if (!s.empty()) d.user_classes_count = s.back().user_classes_count;
    for (const auto& [cls, n] : d.user_classes_count) d.user_count += n;
    w.send(MessageType::kSpawningComplete, d);
  }

  CaptureLog log;
  double now = 1000.0;
  std::unique_ptr<MasterRunner> master;
  std::vector<std::unique_ptr<FakeWorker>> workers;
  int beat_ = 0;
};

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

stats::Entry entry(const std::string& name, std::uint64_t from_ms, std::uint64_t to_ms,
                   double wall) {
  stats::Entry e;
  e.method = "GET";
  e.name = name;
  e.start_time = wall;
  for (std::uint64_t ms = from_ms; ms <= to_ms; ++ms) e.log(ms * 1000, 10, wall);
  return e;
}

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
}  // namespace loadgen::cluster
