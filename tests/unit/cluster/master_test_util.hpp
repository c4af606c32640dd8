// Shared by the MasterRunner tests: a MasterRunner bound on 127.0.0.1 (ephemeral port) driven
// on a fake clock (MasterTest), fake workers made of a DEALER Transport and the codec
// (FakeWorker), a recording LogSink, and the dispatcher's reference steps.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/master_runner.hpp"
#include "cluster/message.hpp"
#include "cluster/transport.hpp"
#include "core/log_sink.hpp"
#include "plan/dispatch.hpp"
#include "stats/entry.hpp"

namespace loadgen::cluster::testing {

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
inline std::vector<plan::Distribution> ref_steps(std::vector<std::string> ids, std::int64_t users,
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

// A stats entry with one request a millisecond, from_ms to to_ms (each 10 bytes).
inline stats::Entry entry(const std::string& name, std::uint64_t from_ms, std::uint64_t to_ms,
                          double wall) {
  stats::Entry e;
  e.method = "GET";
  e.name = name;
  e.start_time = wall;
  for (std::uint64_t ms = from_ms; ms <= to_ms; ++ms) e.log(ms * 1000, 10, wall);
  return e;
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

}  // namespace loadgen::cluster::testing
