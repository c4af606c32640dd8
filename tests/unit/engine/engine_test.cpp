// Tests for engine/engine end to end: real workers (threads with event loops) running real
// users; spawning at a rate, stopping newest first, graceful stop and stop timeout, stats and
// task exceptions collected from the workers, HTTP load against a loopback server.
#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/clock.hpp"
#include "test_server.hpp"

namespace loadgen::engine {
namespace {

using namespace std::chrono_literals;

double now() { return static_cast<double>(core::mono_ns()) * 1e-9; }

// Polls `pred` until it holds or `timeout` passes (the engine offers no condition to wait on).
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// What users report, from every worker thread.
struct Registry {
  std::mutex mu;
  std::set<std::uint64_t> alive;  // ids between on_start and on_stop
  std::set<std::thread::id> threads;
  int stops = 0;
  int killed_stops = 0;

  std::size_t alive_count() {
    std::lock_guard lk(mu);
    return alive.size();
  }
};

class RecordingUser : public scenario::User {
 public:
  explicit RecordingUser(std::shared_ptr<Registry> r) : r_(std::move(r)) {}
  core::Task<> on_start() override {
    std::lock_guard lk(r_->mu);
    r_->alive.insert(id());
    r_->threads.insert(std::this_thread::get_id());
    co_return;
  }
  core::Task<> on_stop() override {
    std::lock_guard lk(r_->mu);
    r_->alive.erase(id());
    ++r_->stops;
    if (killed()) ++r_->killed_stops;
    co_return;
  }
  // Sleeps 60 s (ends early when asked to stop).
  core::Task<> nap() { co_await sleep(60s); }
  core::Task<> fail() {
    co_await sleep(10ms);
    throw std::runtime_error("task went wrong");
  }
  core::Task<> hang() { co_await client().get("/hang"); }

 private:
  std::shared_ptr<Registry> r_;
};

scenario::UserClass recording_class(std::string name, std::shared_ptr<Registry> reg,
                                    core::Task<> (RecordingUser::*fn)(), unsigned weight = 1,
                                    unsigned fixed_count = 0) {
  scenario::UserClass c;
  c.name = std::move(name);
  c.weight = weight;
  c.fixed_count = fixed_count;
  c.wait_time = scenario::WaitTime::constant(0);
  c.tasks.push_back(scenario::task<RecordingUser>("task", 1, fn));
  c.make = [reg] { return std::make_unique<RecordingUser>(reg); };
  return c;
}

scenario::Scenario one_class(scenario::UserClass c) {
  scenario::Scenario s;
  s.name = "test";
  s.needs_host = false;
  s.user_classes.push_back(std::move(c));
  return s;
}

EngineConfig config(int threads) {
  EngineConfig cfg;
  cfg.threads = threads;
  cfg.seed = 1;
  return cfg;
}

TEST(Engine, SpawnsAcrossWorkersAndStopsNewestFirst) {
  auto reg = std::make_shared<Registry>();
  Engine e(config(2), one_class(recording_class("Napper", reg, &RecordingUser::nap)), now(),
           core::wall_seconds());
  EXPECT_EQ(e.state(), RunState::kReady);
  e.set_target(10, 100, now());
  EXPECT_EQ(e.spawned(), 10);  // rate 100 ≥ 10: all in the first step
  EXPECT_EQ(e.state(), RunState::kRunning);
  EXPECT_EQ(e.class_counts(), (std::vector<std::int64_t>{10}));
  ASSERT_TRUE(wait_until([&] { return e.alive() == 10 && reg->alive_count() == 10; }))
      << "alive " << e.alive();
  {
    std::lock_guard lk(reg->mu);
    EXPECT_EQ(reg->threads.size(), 2u);  // both workers got users
  }

  e.set_target(4, 100, now());
  EXPECT_EQ(e.spawned(), 4);
  EXPECT_EQ(e.target(), 4);
  ASSERT_TRUE(wait_until([&] { return e.alive() == 4; })) << "alive " << e.alive();
  {
    std::lock_guard lk(reg->mu);
    EXPECT_EQ(reg->alive, (std::set<std::uint64_t>{1, 2, 3, 4}));  // the newest six stopped
    EXPECT_EQ(reg->stops, 6);
    EXPECT_EQ(reg->killed_stops, 6);  // no stop timeout: killed at once
  }

  e.stop_all(now());
  EXPECT_EQ(e.state(), RunState::kStopping);
  ASSERT_TRUE(wait_until([&] { return e.idle(); })) << "alive " << e.alive();
  EXPECT_EQ(reg->alive_count(), 0u);
  e.collect();
  EXPECT_EQ(e.exception_count(), 0u);
  EXPECT_EQ(e.stats().total().num_requests, 0u);
  e.shutdown();
  EXPECT_EQ(e.state(), RunState::kStopped);
}

TEST(Engine, SpawnRateStepsFollowTheRampOnTheCallersClock) {
  auto reg = std::make_shared<Registry>();
  const double t0 = 1000.0;  // the engine only knows the times it is given
  Engine e(config(2), one_class(recording_class("Napper", reg, &RecordingUser::nap)), t0,
           core::wall_seconds());
  e.set_target(6, 2, t0);
  EXPECT_EQ(e.spawned(), 2);
  EXPECT_EQ(e.state(), RunState::kSpawning);
  e.tick(t0 + 0.99);
  EXPECT_EQ(e.spawned(), 2);
  e.tick(t0 + 1.0);
  EXPECT_EQ(e.spawned(), 4);
  e.tick(t0 + 2.0);
  EXPECT_EQ(e.spawned(), 6);
  EXPECT_EQ(e.state(), RunState::kRunning);
  // Down again at rate 2 per second.
  e.set_target(1, 2, t0 + 3);
  EXPECT_EQ(e.spawned(), 4);
  e.tick(t0 + 4);
  EXPECT_EQ(e.spawned(), 2);
  e.tick(t0 + 5);
  EXPECT_EQ(e.spawned(), 1);
  ASSERT_TRUE(wait_until([&] { return e.alive() == 1; })) << "alive " << e.alive();
  e.stop_all(t0 + 6);
  ASSERT_TRUE(wait_until([&] { return e.idle(); }));
  e.set_target(5, 100, t0 + 7);  // ignored once stopping
  EXPECT_EQ(e.spawned(), 0);
}

TEST(Engine, FixedCountClassesAndWeights) {
  auto reg = std::make_shared<Registry>();
  scenario::Scenario s;
  s.name = "mix";
  s.needs_host = false;
  s.user_classes.push_back(recording_class("Fixed", reg, &RecordingUser::nap, 1, 1));
  s.user_classes.push_back(recording_class("Light", reg, &RecordingUser::nap, 1));
  s.user_classes.push_back(recording_class("Heavy", reg, &RecordingUser::nap, 3));
  Engine e(config(1), std::move(s), now(), core::wall_seconds());
  e.set_target(9, 100, now());
  EXPECT_EQ(e.class_counts(), (std::vector<std::int64_t>{1, 2, 6}));
  ASSERT_TRUE(wait_until([&] { return e.alive() == 9; }));
  e.stop_all(now());
  ASSERT_TRUE(wait_until([&] { return e.idle(); }));
}

TEST(Engine, GracefulStopLetsUsersEndTheirTask) {
  auto reg = std::make_shared<Registry>();
  EngineConfig cfg = config(2);
  cfg.stop_timeout = 30s;
  Engine e(cfg, one_class(recording_class("Napper", reg, &RecordingUser::nap)), now(),
           core::wall_seconds());
  e.set_target(4, 100, now());
  ASSERT_TRUE(wait_until([&] { return e.alive() == 4 && reg->alive_count() == 4; }));
  e.stop_all(now());
  // Their 60 s naps end early on the stop request; nobody is killed.
  ASSERT_TRUE(wait_until([&] { return e.idle(); })) << "alive " << e.alive();
  std::lock_guard lk(reg->mu);
  EXPECT_EQ(reg->stops, 4);
  EXPECT_EQ(reg->killed_stops, 0);
}

TEST(Engine, StopTimeoutKillsUsersThatDoNotFinish) {
  testing::TestServer server([](const testing::ReceivedRequest&) {
    return testing::Reply{"", testing::Reply::After::kHang};
  });
  auto reg = std::make_shared<Registry>();
  EngineConfig cfg = config(2);
  cfg.stop_timeout = 5s;
  cfg.client.set_base(*http::parse_url(server.base_url()));
  const double t0 = now();
  Engine e(cfg, one_class(recording_class("Hanger", reg, &RecordingUser::hang)), t0,
           core::wall_seconds());
  e.set_target(2, 100, t0);
  ASSERT_TRUE(server.wait_for([&] { return server.request_count() == 2; }));
  e.stop_all(t0);
  // Both are inside a request that never ends: a graceful stop cannot end them.
  EXPECT_EQ(e.alive(), 2);
  e.tick(t0 + 4.9);
  EXPECT_EQ(e.alive(), 2);
  e.tick(t0 + 5.0);  // the stop timeout: kill
  ASSERT_TRUE(wait_until([&] { return e.idle(); })) << "alive " << e.alive();
  std::lock_guard lk(reg->mu);
  EXPECT_EQ(reg->killed_stops, 2);
  e.collect();
  EXPECT_EQ(e.stats().total().num_requests, 0u);  // cancelled requests are not recorded
}

TEST(Engine, TaskExceptionsAreCollected) {
  auto reg = std::make_shared<Registry>();
  Engine e(config(2), one_class(recording_class("Failer", reg, &RecordingUser::fail)), now(),
           core::wall_seconds());
  e.set_target(2, 100, now());
  ASSERT_TRUE(wait_until([&] {
    e.collect();
    return e.exception_count() >= 4;
  }));
  e.stop_all(now());
  ASSERT_TRUE(wait_until([&] { return e.idle(); }));
  e.collect();
  ASSERT_EQ(e.exceptions().size(), 1u);
  const auto& [key, n] = *e.exceptions().begin();
  EXPECT_EQ(std::get<0>(key), "Failer");
  EXPECT_EQ(std::get<1>(key), "task");
  EXPECT_EQ(std::get<2>(key), "task went wrong");
  EXPECT_EQ(n, e.exception_count());
}

TEST(Engine, HttpScenarioRecordsRequests) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  scenario::GetScenarioSettings gs;
  gs.paths = {"/a", "/b"};
  gs.wait_time = scenario::WaitTime::constant(0.002);
  EngineConfig cfg = config(2);
  cfg.client.set_base(*http::parse_url(server.base_url()));
  Engine e(cfg, scenario::make_get_scenario(gs), now(), core::wall_seconds());
  e.set_target(2, 100, now());
  ASSERT_TRUE(server.wait_for([&] { return server.request_count() >= 20; }));
  e.stop_all(now());
  ASSERT_TRUE(wait_until([&] { return e.idle(); }));
  e.collect();
  const auto& total = e.stats().total();
  EXPECT_GT(total.num_requests, 0u);
  EXPECT_GE(total.num_requests + 2, server.request_count());  // at most one in flight per user
  EXPECT_LE(total.num_requests, server.request_count());
  EXPECT_EQ(total.num_failures, 0u);
  const auto entries = e.stats().entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]->name, "/a");
  EXPECT_EQ(entries[0]->method, "GET");
  EXPECT_EQ(entries[1]->name, "/b");
  EXPECT_EQ(server.connections(), 2);  // one keep-alive connection per user
}

TEST(Engine, HttpFailuresAreCountedNotThrown) {
  scenario::GetScenarioSettings gs;
  gs.wait_time = scenario::WaitTime::constant(0.005);
  EngineConfig cfg = config(1);
  cfg.client.set_base(
      *http::parse_url("http://127.0.0.1:" + std::to_string(testing::unused_port())));
  Engine e(cfg, scenario::make_get_scenario(gs), now(), core::wall_seconds());
  e.set_target(1, 100, now());
  ASSERT_TRUE(wait_until([&] {
    e.collect();
    return e.stats().total().num_failures >= 3;
  }));
  e.stop_all(now());
  ASSERT_TRUE(wait_until([&] { return e.idle(); }));
  e.collect();
  EXPECT_EQ(e.stats().total().num_failures, e.stats().total().num_requests);
  EXPECT_EQ(e.exception_count(), 0u);
}

// A user whose task blocks its worker's loop after each request (as decoding a large body
// does): one request, one log line, then `busy` of CPU on the loop's thread.
class BlockingUser : public scenario::User {
 public:
  BlockingUser(std::atomic<int>* done, std::chrono::milliseconds busy) : done_(done), busy_(busy) {}
  core::Task<> work() {
    co_await client().get("/a");
    log_info("request {} done", done_->fetch_add(1) + 1);
    const auto until = std::chrono::steady_clock::now() + busy_;
    while (std::chrono::steady_clock::now() < until) {
    }
  }

 private:
  std::atomic<int>* done_;
  std::chrono::milliseconds busy_;
};

// Engine::collect and Engine::drain used to give up on a busy worker and discard its answer,
// although the worker had already handed its counters over: the late answers must be merged
// at the next collection, and the final collection must wait for every worker.
TEST(Engine, ABusyWorkerLosesNoStatsSpansOrLogs) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  std::atomic<int> done{0};
  scenario::UserClass c;
  c.name = "Blocking";
  c.wait_time = scenario::WaitTime::constant(0);
  c.tasks.push_back(scenario::task<BlockingUser>("work", 1, &BlockingUser::work));
  c.make = [&done] { return std::make_unique<BlockingUser>(&done, 300ms); };
  EngineConfig cfg = config(1);
  cfg.client.set_base(*http::parse_url(server.base_url()));
  cfg.stop_timeout = 10s;                 // graceful: the task in progress completes
  cfg.trace = scenario::TraceSettings{};  // always sampled: a CLIENT span per request
  cfg.span_capacity_per_worker = 1000;
  cfg.log_capacity_per_worker = 1000;
  cfg.drain_wait = 20ms;  // far shorter than the worker's busy spells
  Engine e(cfg, one_class(std::move(c)), now(), core::wall_seconds());
  std::vector<otel::SpanData> spans;
  std::vector<otel::LogRecord> logs;
  std::uint64_t spans_dropped = 0, logs_dropped = 0;
  e.set_target(1, 100, now());
  // Collect and drain while the worker is busy: most answers come late.
  int late = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        if (!e.collect(20ms)) ++late;
        e.drain(spans, spans_dropped);
        e.drain(logs, logs_dropped);
        return done.load() >= 6;
      },
      20s));
  EXPECT_GT(late, 0);  // the test did exercise late answers
  e.stop_all(now());
  ASSERT_TRUE(wait_until([&] { return e.idle(); }, 15s));
  EXPECT_TRUE(e.collect(5s));  // the final collection: every worker answers
  e.drain(spans, spans_dropped);
  e.drain(logs, logs_dropped);
  e.drain(spans, spans_dropped);  // answers left pending by the drain above, if any
  e.drain(logs, logs_dropped);
  const auto tasks = static_cast<std::uint64_t>(done.load());
  EXPECT_EQ(server.request_count(), tasks);
  EXPECT_EQ(e.stats().total().num_requests, tasks);
  std::size_t client_spans = 0;
  for (const auto& s : spans) client_spans += s.kind == otel::SpanKind::kClient ? 1 : 0;
  EXPECT_EQ(client_spans, tasks);
  EXPECT_EQ(logs.size(), tasks);
  EXPECT_EQ(spans_dropped + logs_dropped, 0u);
}

}  // namespace
}  // namespace loadgen::engine

namespace loadgen::engine {
namespace {

// The trace pipeline's trigger: a worker calls the ready callback when its span buffer holds
// a batch, once until the next drain (not per span); drain_into hands the CLIENT spans over
// compact, with the semantic-convention attributes, and takes spare buffers back.
TEST(Engine, AWorkerSaysOncePerDrainWhenItsSpanBufferHoldsABatch) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  scenario::GetScenarioSettings gs;
  gs.paths = {"/a"};
  gs.wait_time = scenario::WaitTime::constant(0);
  EngineConfig cfg = config(1);
  cfg.client.set_base(*http::parse_url(server.base_url()));
  cfg.trace = scenario::TraceSettings{};     // always sampled: a CLIENT span per request
  cfg.span_capacity_per_worker = 1'000'000;  // a slow test thread must not see drops
  Engine e(cfg, scenario::make_get_scenario(gs), now(), core::wall_seconds());
  std::atomic<int> ready{0};
  e.on_batch_ready(20, [&ready] { ready.fetch_add(1); });
  e.set_target(1, 100, now());
  ASSERT_TRUE(wait_until([&] { return ready.load() >= 1; }));
  ASSERT_TRUE(server.wait_for([&] { return server.request_count() >= 100; }));
  EXPECT_EQ(ready.load(), 1);  // not again until a drain
  otel::SpanDrain d;
  d.spare.push_back(std::make_unique<otel::ClientSpans>());
  e.drain_into(d);
  ASSERT_EQ(d.client.size(), 1u);
  const otel::ClientSpans& c = *d.client.front();
  EXPECT_GE(c.records.size(), 90u);  // the last requests may still be in flight
  EXPECT_TRUE(d.spare.empty());      // the worker took the spare buffer
  ASSERT_TRUE(wait_until([&] { return ready.load() >= 2; }));  // the next batch
  e.stop_all(now());
  ASSERT_TRUE(wait_until([&] { return e.idle(); }));
  std::vector<otel::SpanData> spans;
  otel::append_span_data(c, 0, 1, spans);
  EXPECT_EQ(spans[0].name, "GET");
  EXPECT_EQ(spans[0].kind, otel::SpanKind::kClient);
  ASSERT_GE(spans[0].attributes.size(), 6u);
  EXPECT_EQ(spans[0].attributes[1].key, "url.full");
  EXPECT_EQ(std::get<std::string>(spans[0].attributes[1].value.v), server.base_url() + "/a");
  EXPECT_EQ(std::get<std::int64_t>(spans[0].attributes[5].value.v), 200);
  EXPECT_EQ(d.dropped, 0u);
}

}  // namespace
}  // namespace loadgen::engine
