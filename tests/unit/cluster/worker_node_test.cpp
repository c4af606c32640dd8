// Tests for cluster/worker_node against a fake master (Transport::bind + the codec): the
// client_ready/ack handshake, Locust's retries when the master answers late, giving up,
// heartbeats (state, CPU, RSS) at the interval and only once acked, a garbage frame counted and
// logged but not returned, the master's reconnect, send() filling the node id, make_node_id().
#include "cluster/worker_node.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/message.hpp"
#include "cluster/transport.hpp"

namespace loadgen::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RecordingLog final : public core::LogSink {
 public:
  void log(core::LogLevel level, std::string_view message) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(level, std::string(message));
  }
  std::vector<std::pair<core::LogLevel, std::string>> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  int count(std::string_view needle) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(lines_.begin(), lines_.end(), [&](const auto& l) {
      return l.second.find(needle) != std::string::npos;
    }));
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<core::LogLevel, std::string>> lines_;
};

// The master side, by hand: a ROUTER and the codec.
struct FakeMaster {
  std::unique_ptr<Transport> t;
  struct Got {
    std::string peer;
    Message m;
  };
  std::vector<Got> got;

  FakeMaster() {
    auto r = Transport::bind("127.0.0.1", 0);
    EXPECT_TRUE(r) << r.error().message;
    if (r) t = std::move(r).value();
  }
  std::uint16_t port() const { return t->port(); }

  void pump(std::chrono::milliseconds wait) {
    for (Frame& f : t->receive(wait)) {
      auto m = decode(f.payload);
      ASSERT_TRUE(m) << m.error().message;
      got.push_back({f.peer, std::move(m).value()});
    }
  }
  int count(MessageType type) const {
    return static_cast<int>(
        std::count_if(got.begin(), got.end(), [&](const Got& g) { return g.m.type == type; }));
  }
  // Receives until `n` messages of `type` arrived (true) or `within` passed.
  bool wait_for(MessageType type, int n, std::chrono::milliseconds within = 5s) {
    const auto deadline = Clock::now() + within;
    while (count(type) < n) {
      if (Clock::now() >= deadline) return false;
      pump(20ms);
    }
    return true;
  }
  void send(const std::string& peer, Message m) { t->send({peer, encode(m)}); }
  void ack(const std::string& peer, std::int64_t index) {
    send(peer, Message{MessageType::kAck, "ack", AckData{index}, {}});
  }
};

WorkerNode::Settings settings(std::uint16_t port, RecordingLog* log) {
  WorkerNode::Settings s;
  s.master_host = "127.0.0.1";
  s.master_port = port;
  s.node_id = "testhost_0123456789abcdef0123456789abcdef";
  s.version = "2.12.1";
  s.log = log;
  return s;
}

std::unique_ptr<WorkerNode> start_or_die(WorkerNode::Settings s) {
  auto r = WorkerNode::start(std::move(s));
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(r).value() : nullptr;
}

// Calls take() (as the driver does) until `pred` holds; returns what take() returned.
template <class Pred>
std::vector<Message> take_until(WorkerNode& w, Pred pred, std::chrono::milliseconds within = 5s) {
  std::vector<Message> all;
  const auto deadline = Clock::now() + within;
  while (!pred() && Clock::now() < deadline) {
    for (auto& m : w.take(20ms)) all.push_back(std::move(m));
  }
  return all;
}

TEST(WorkerNode, HandshakeClientReadyThenAck) {
  FakeMaster master;
  RecordingLog log;
  auto w = start_or_die(settings(master.port(), &log));
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->acked());
  EXPECT_EQ(w->index(), -1);
  EXPECT_EQ(w->node_id(), "testhost_0123456789abcdef0123456789abcdef");

  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 1));
  const auto& ready = master.got.front();
  EXPECT_EQ(ready.peer, w->node_id());  // DEALER identity = node id
  EXPECT_EQ(ready.m.node_id, w->node_id());
  ASSERT_TRUE(std::holds_alternative<std::string>(ready.m.data));
  EXPECT_EQ(std::get<std::string>(ready.m.data), "2.12.1");

  master.ack(ready.peer, 3);
  auto taken = take_until(*w, [&] { return w->acked(); });
  EXPECT_TRUE(w->acked());
  EXPECT_EQ(w->index(), 3);
  ASSERT_EQ(taken.size(), 1u);  // the ack is returned too
  EXPECT_EQ(taken[0].type, MessageType::kAck);
  EXPECT_FALSE(w->gave_up());
  EXPECT_EQ(w->protocol_errors(), 0u);
}

TEST(WorkerNode, EmptyVersionIsRefusedAtStart) {
  RecordingLog log;
  auto s = settings(5557, &log);
  s.version.clear();
  auto r = WorkerNode::start(std::move(s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_value");
  EXPECT_NE(r.error().message.find("version"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("empty"), std::string::npos) << r.error().message;
}

TEST(WorkerNode, EmptyNodeIdGetsOne) {
  FakeMaster master;
  auto s = settings(master.port(), nullptr);
  s.node_id.clear();
  auto w = start_or_die(std::move(s));
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->node_id().empty());
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 1));
  EXPECT_EQ(master.got[0].peer, w->node_id());
}

// The master ignores the first two client_ready messages (as if it were busy or not up yet):
// the worker resends every connect_timeout, logging Locust's line, and the third one is acked.
TEST(WorkerNode, RetriesWhenTheMasterAnswersLate) {
  FakeMaster master;
  RecordingLog log;
  auto s = settings(master.port(), &log);
  s.connect_timeout = 150ms;
  s.connect_retries = 10;
  auto w = start_or_die(std::move(s));
  ASSERT_TRUE(w);
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 3));
  master.ack(master.got.back().peer, 0);
  take_until(*w, [&] { return w->acked(); });
  ASSERT_TRUE(w->acked());
  EXPECT_EQ(w->index(), 0);
  EXPECT_FALSE(w->gave_up());
  const std::string prefix =
      "Failed to connect to master 127.0.0.1:" + std::to_string(master.port()) + ", retry ";
  EXPECT_EQ(log.count(prefix + "1/10."), 1);
  EXPECT_EQ(log.count(prefix + "2/10."), 1);
  // Once acked, no more client_ready.
  std::this_thread::sleep_for(400ms);
  master.pump(0ms);
  const int ready = master.count(MessageType::kClientReady);
  EXPECT_LE(ready, 4);  // an ack can cross the third retry
  EXPECT_EQ(log.count(prefix + "5/10."), 0);
}

TEST(WorkerNode, RetriesWhenTheMasterStartsLate) {
  std::uint16_t port = 0;
  {
    FakeMaster probe;  // an ephemeral port nobody listens on once it is closed
    port = probe.port();
  }
  RecordingLog log;
  auto s = settings(port, &log);
  s.connect_timeout = 100ms;
  s.connect_retries = 50;
  auto w = start_or_die(std::move(s));
  ASSERT_TRUE(w);
  std::this_thread::sleep_for(350ms);
  auto late = Transport::bind("127.0.0.1", port);
  ASSERT_TRUE(late) << late.error().message;
  FakeMaster master;
  master.t = std::move(late).value();  // replaces the one FakeMaster bound
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 1));
  master.ack(master.got.back().peer, 1);
  take_until(*w, [&] { return w->acked(); });
  EXPECT_TRUE(w->acked());
  EXPECT_GE(log.count("Failed to connect to master"), 2);
}

TEST(WorkerNode, GivesUpAfterTheRetries) {
  FakeMaster master;  // listens, never answers
  RecordingLog log;
  auto s = settings(master.port(), &log);
  s.connect_timeout = 50ms;
  s.connect_retries = 2;
  auto w = start_or_die(std::move(s));
  ASSERT_TRUE(w);
  take_until(*w, [&] { return w->gave_up(); });
  ASSERT_TRUE(w->gave_up());
  EXPECT_FALSE(w->acked());
  // 1 + connect_retries client_ready messages, like Locust (retry > CONNECT_RETRY_COUNT).
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 3));
  std::this_thread::sleep_for(200ms);
  master.pump(0ms);
  EXPECT_EQ(master.count(MessageType::kClientReady), 3);
  const std::string prefix =
      "Failed to connect to master 127.0.0.1:" + std::to_string(master.port()) + ", retry ";
  EXPECT_EQ(log.count(prefix + "1/2."), 1);
  EXPECT_EQ(log.count(prefix + "3/2."), 1);
  for (const auto& [level, line] : log.lines()) {
    if (line.find("retry 1/") != std::string::npos) {
      EXPECT_EQ(level, core::LogLevel::kDebug);
    }
    if (line.find("retry 3/") != std::string::npos) {
      EXPECT_EQ(level, core::LogLevel::kWarning);
    }
  }
}

TEST(WorkerNode, HeartbeatsOnlyOnceAckedThenAtTheInterval) {
  FakeMaster master;
  RecordingLog log;
  auto s = settings(master.port(), &log);
  s.heartbeat_interval = 100ms;
  auto w = start_or_die(std::move(s));
  ASSERT_TRUE(w);
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 1));
  std::this_thread::sleep_for(350ms);
  master.pump(0ms);
  EXPECT_EQ(master.count(MessageType::kHeartbeat), 0);  // not before the ack

  master.ack(master.got[0].peer, 0);
  take_until(*w, [&] { return w->acked(); });
  ASSERT_TRUE(w->acked());
  w->set_state("running");
  const auto t0 = Clock::now();
  ASSERT_TRUE(master.wait_for(MessageType::kHeartbeat, 10, 5s));
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, 800ms);  // 10 beats 100 ms apart, the first one period after start
  EXPECT_LT(took, 3s);
  int seen = 0;
  for (const auto& g : master.got) {
    if (g.m.type != MessageType::kHeartbeat) continue;
    ++seen;
    EXPECT_EQ(g.peer, w->node_id());
    EXPECT_EQ(g.m.node_id, w->node_id());
    const auto* hb = std::get_if<HeartbeatData>(&g.m.data);
    ASSERT_NE(hb, nullptr);
    if (seen > 1) {
      EXPECT_EQ(hb->state, "running");
    }
    EXPECT_GE(hb->current_cpu_usage, 0.0);
    EXPECT_GT(hb->current_memory_usage, 1 << 20);  // RSS of a test binary: MBs
    EXPECT_LT(hb->current_memory_usage, std::int64_t{1} << 34);
  }
}

// A busy process shows in the heartbeats' CPU figure (Locust's psutil cpu_percent()).
TEST(WorkerNode, HeartbeatCarriesTheProcessCpu) {
  FakeMaster master;
  auto s = settings(master.port(), nullptr);
  s.heartbeat_interval = 100ms;
  auto w = start_or_die(std::move(s));
  ASSERT_TRUE(w);
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 1));
  master.ack(master.got[0].peer, 0);
  take_until(*w, [&] { return w->acked(); });
  ASSERT_TRUE(w->acked());
  master.got.clear();
  const auto end = Clock::now() + 600ms;
  {
    volatile std::uint64_t x = 0;
    while (Clock::now() < end) x = x + 1;
  }
  master.pump(0ms);
  double max_cpu = 0;
  for (const auto& g : master.got) {
    if (const auto* hb = std::get_if<HeartbeatData>(&g.m.data)) {
      max_cpu = std::max(max_cpu, hb->current_cpu_usage);
    }
  }
  // One spinning thread: ~100 % of a core, shown as a share of all cores (50 % on 2 cores).
  EXPECT_GT(max_cpu, 100.0 / std::max(1u, std::thread::hardware_concurrency()) * 0.4);
  EXPECT_LE(max_cpu, 110.0);  // all cores busy is 100 %
}

TEST(WorkerNode, GarbageFrameIsCountedAndLoggedNotReturned) {
  FakeMaster master;
  RecordingLog log;
  auto w = start_or_die(settings(master.port(), &log));
  ASSERT_TRUE(w);
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 1));
  const std::string peer = master.got[0].peer;
  master.t->send({peer, "\xc1 this is not msgpack"});
  master.t->send({peer,
                  "\x93\xa3"
                  "ack"});  // a truncated array
  master.ack(peer, 7);
  auto taken = take_until(*w, [&] { return w->acked() && w->protocol_errors() >= 2; });
  ASSERT_TRUE(w->acked());
  EXPECT_EQ(w->protocol_errors(), 2u);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].type, MessageType::kAck);
  EXPECT_EQ(w->index(), 7);
  // Logged once as a warning naming the master; the second within the interval is held back.
  EXPECT_EQ(log.count("from master 127.0.0.1:" + std::to_string(master.port()) +
                      " that does not decode: "),
            1);
}

TEST(WorkerNode, ReconnectKeepsTheIdentityAndSendsNoClientReady) {
  FakeMaster master;
  RecordingLog log;
  auto s = settings(master.port(), &log);
  s.heartbeat_interval = 100ms;
  auto w = start_or_die(std::move(s));
  ASSERT_TRUE(w);
  ASSERT_TRUE(master.wait_for(MessageType::kClientReady, 1));
  master.ack(master.got[0].peer, 0);
  take_until(*w, [&] { return w->acked(); });
  ASSERT_TRUE(w->acked());

  master.send(w->node_id(), Message{MessageType::kReconnect, "reconnect", {}, {}});
  std::vector<Message> taken;
  const auto deadline = Clock::now() + 5s;
  while (taken.empty() && Clock::now() < deadline) taken = w->take(20ms);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].type, MessageType::kReconnect);  // returned too
  // The reconnect is handled inside take(), as Locust's worker does: a new socket with the
  // same identity, and no second client_ready.
  EXPECT_EQ(log.count("Received reconnect message from master"), 1);
  // Heartbeats keep coming on the new connection, from the same identity; the master can
  // still reach the worker.
  const int beats = master.count(MessageType::kHeartbeat);
  ASSERT_TRUE(master.wait_for(MessageType::kHeartbeat, beats + 2));
  EXPECT_EQ(master.got.back().peer, w->node_id());
  EXPECT_EQ(master.count(MessageType::kClientReady), 1);
  master.send(w->node_id(), Message{MessageType::kStop, "stop", {}, {}});
  taken.clear();
  const auto until = Clock::now() + 5s;
  while (taken.empty() && Clock::now() < until) taken = w->take(20ms);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].type, MessageType::kStop);
}

TEST(WorkerNode, SendFillsTheNodeId) {
  FakeMaster master;
  auto w = start_or_die(settings(master.port(), nullptr));
  ASSERT_TRUE(w);
  w->send(Message{MessageType::kSpawning, "spawning", {}, "ignored"});
  ExceptionData ex{"boom", "trace"};
  w->send(Message{MessageType::kException, "exception", ex, {}});
  ASSERT_TRUE(master.wait_for(MessageType::kException, 1));
  ASSERT_EQ(master.count(MessageType::kSpawning), 1);
  for (const auto& g : master.got) EXPECT_EQ(g.m.node_id, w->node_id());
  w->close(1s);
  w->close(1s);  // idempotent
}

TEST(WorkerNode, MakeNodeIdIsHostnameUnderscoreUuidHex) {
  const std::string a = make_node_id(), b = make_node_id();
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::regex_match(a, std::regex(".*_[0-9a-f]{32}"))) << a;
  // uuid4: version nibble 4, variant 8..b.
  const std::string hex = a.substr(a.size() - 32);
  EXPECT_EQ(hex[12], '4');
  EXPECT_NE(std::string("89ab").find(hex[16]), std::string::npos) << hex;
}

}  // namespace
}  // namespace loadgen::cluster
