// Tests for flags/ofrep_flag_source against a scripted OFREP server on 127.0.0.1: values,
// caching and refresh, fallbacks with rate-limited warnings, and no waiting while a fetch of the
// same key is in flight.
#include "flags/ofrep_flag_source.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loop_runner.hpp"
#include "net/event_loop.hpp"
#include "test_server.hpp"

namespace loadgen::flags {
namespace {

using namespace std::chrono_literals;
using testing::http_reply;
using testing::ReceivedRequest;
using testing::Reply;
using testing::run_on_loop;
using testing::TestServer;

class RecordingSink final : public core::LogSink {
 public:
  void log(core::LogLevel level, std::string_view message) override {
    std::lock_guard lk(mu_);
    lines_.push_back({level, std::string(message)});
  }
  std::vector<std::pair<core::LogLevel, std::string>> lines() const {
    std::lock_guard lk(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<core::LogLevel, std::string>> lines_;
};

// Holds the server's handler until the test opens it (bounded, so a failing test cannot hang).
class Gate {
 public:
  void wait() {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, 5s, [&] { return open_; });
  }
  void open() {
    {
      std::lock_guard lk(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

std::string success(std::string_view key, std::string_view value_json,
                    std::string_view variant = "on") {
  return std::string(R"({"key":")") + std::string(key) + R"(","value":)" + std::string(value_json) +
         R"(,"variant":")" + std::string(variant) + R"(","reason":"STATIC","metadata":{}})";
}

class OfrepFlagSourceTest : public ::testing::Test {
 protected:
  void start(std::uint16_t port) {
    cfg.host = "127.0.0.1";
    cfg.port = port;
    source = std::make_unique<OfrepFlagSource>(loop, cfg, &sink, nullptr);
  }
  template <class MakeTask>
  void run(MakeTask&& make) {
    ASSERT_TRUE(run_on_loop(loop, std::forward<MakeTask>(make), 8s)) << "the test coroutine hung";
  }
  core::Task<void> pause(std::chrono::milliseconds d) {
    net::Sleeper s;
    co_await loop.sleep(s, d);
  }
  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (const auto& [level, line] : sink.lines()) {
      EXPECT_EQ(level, core::LogLevel::kWarning);
      out.push_back(line);
    }
    return out;
  }

  net::EventLoop loop;
  RecordingSink sink;
  OfrepConfig cfg;
  std::unique_ptr<OfrepFlagSource> source;  // destroyed before the loop
};

TEST_F(OfrepFlagSourceTest, ReturnsTheEvaluatedValue) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(200, success("loadGeneratorFloodHomepage", "100"),
                      "Content-Type: application/json\r\n");
  });
  start(server.port());
  std::int64_t v = 0;
  run([&]() -> core::Task<> {
    v = co_await source->int_value("loadGeneratorFloodHomepage", 0, nullptr);
  });
  EXPECT_EQ(v, 100);
  EXPECT_EQ(source->last_evaluation().key, "loadGeneratorFloodHomepage");
  EXPECT_EQ(source->last_evaluation().variant, "on");
  EXPECT_EQ(source->last_evaluation().reason, "STATIC");
  EXPECT_EQ(source->last_evaluation().error_code, "");
  EXPECT_FALSE(source->last_evaluation().from_cache);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/ofrep/v1/evaluate/flags/loadGeneratorFloodHomepage");
  EXPECT_EQ(reqs[0].header("content-type"), "application/json");
  EXPECT_EQ(reqs[0].body, R"({"context":{}})");
  EXPECT_TRUE(warnings().empty());
}

TEST_F(OfrepFlagSourceTest, SendsTheTargetingKeyAndEncodesTheKey) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, success("a b", "true")); });
  cfg.targeting_key = "load-generator";
  start(server.port());
  bool v = false;
  run([&]() -> core::Task<> { v = co_await source->bool_value("a b", false, nullptr); });
  EXPECT_TRUE(v);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/ofrep/v1/evaluate/flags/a%20b");
  EXPECT_EQ(reqs[0].body, R"({"context":{"targetingKey":"load-generator"}})");
}

TEST_F(OfrepFlagSourceTest, CachedWithinTheTtl) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, success("f", "5")); });
  cfg.cache_ttl = std::chrono::milliseconds(1h);
  start(server.port());
  std::vector<std::int64_t> values;
  run([&]() -> core::Task<> {
    for (int i = 0; i < 50; ++i) values.push_back(co_await source->int_value("f", 0, nullptr));
  });
  EXPECT_EQ(values, std::vector<std::int64_t>(50, 5));
  EXPECT_TRUE(source->last_evaluation().from_cache);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(OfrepFlagSourceTest, KeysAreCachedSeparately) {
  TestServer server([](const ReceivedRequest& r) {
    return http_reply(200, success("k", r.target.ends_with("/a") ? "1" : "2"));
  });
  cfg.cache_ttl = std::chrono::milliseconds(1h);
  start(server.port());
  std::int64_t a = 0, b = 0;
  run([&]() -> core::Task<> {
    a = co_await source->int_value("a", 0, nullptr);
    b = co_await source->int_value("b", 0, nullptr);
    a += co_await source->int_value("a", 0, nullptr);
  });
  EXPECT_EQ(a, 2);
  EXPECT_EQ(b, 2);
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(OfrepFlagSourceTest, RefreshedAfterTheTtl) {
  int served = 0;
  TestServer server([&](const ReceivedRequest&) {
    ++served;
    return http_reply(200, success("f", std::to_string(served)));
  });
  cfg.cache_ttl = 100ms;
  start(server.port());
  std::int64_t first = 0, cached = 0, refreshed = 0;
  run([&]() -> core::Task<> {
    first = co_await source->int_value("f", 0, nullptr);
    cached = co_await source->int_value("f", 0, nullptr);
    co_await pause(150ms);
    refreshed = co_await source->int_value("f", 0, nullptr);
  });
  EXPECT_EQ(first, 1);
  EXPECT_EQ(cached, 1);
  EXPECT_EQ(refreshed, 2);
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(OfrepFlagSourceTest, ServerDownGivesTheDefaultAndOneWarning) {
  start(testing::unused_port());
  std::vector<bool> values;
  run([&]() -> core::Task<> {
    for (int i = 0; i < 20; ++i)
      values.push_back(co_await source->bool_value("loadGeneratorTraffic", true, nullptr));
  });
  EXPECT_EQ(values, std::vector<bool>(20, true));
  EXPECT_EQ(source->last_evaluation().reason, "ERROR");
  EXPECT_EQ(source->last_evaluation().error_code, "GENERAL");
  const auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("loadGeneratorTraffic"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("connect_refused"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("default value true"), std::string::npos) << w[0];
}

TEST_F(OfrepFlagSourceTest, WarningsRepeatAfterTheInterval) {
  cfg.warn_interval = std::chrono::seconds(0);
  cfg.cache_ttl = 0ms;
  start(testing::unused_port());
  run([&]() -> core::Task<> {
    for (int i = 0; i < 3; ++i) (void)co_await source->int_value("f", 1, nullptr);
  });
  EXPECT_EQ(warnings().size(), 3u);
}

TEST_F(OfrepFlagSourceTest, ErrorsAreCachedForTheTtl) {
  TestServer server(
      [](const ReceivedRequest&) { return http_reply(500, R"({"errorDetails":"boom"})"); });
  cfg.cache_ttl = std::chrono::milliseconds(1h);
  start(server.port());
  std::int64_t sum = 0;
  run([&]() -> core::Task<> {
    for (int i = 0; i < 10; ++i) sum += co_await source->int_value("f", 3, nullptr);
  });
  EXPECT_EQ(sum, 30);
  EXPECT_EQ(server.request_count(), 1u);
  const auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("HTTP 500: boom"), std::string::npos) << w[0];
}

TEST_F(OfrepFlagSourceTest, FlagNotFoundGivesTheDefault) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(404, R"({"key":"missing","errorCode":"FLAG_NOT_FOUND",)"
                           R"("errorDetails":"flag 'missing' is not configured"})");
  });
  start(server.port());
  std::int64_t v = 0;
  run([&]() -> core::Task<> { v = co_await source->int_value("missing", 7, nullptr); });
  EXPECT_EQ(v, 7);
  EXPECT_EQ(source->last_evaluation().error_code, "FLAG_NOT_FOUND");
  const auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("'missing'"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("FLAG_NOT_FOUND"), std::string::npos) << w[0];
}

TEST_F(OfrepFlagSourceTest, WrongTypeGivesTheDefaultAndAWarning) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target.ends_with("/str")) return http_reply(200, success("str", R"("on")"));
    if (r.target.ends_with("/two")) return http_reply(200, success("two", "2"));
    return http_reply(200, success("frac", "2.5"));
  });
  cfg.cache_ttl = std::chrono::milliseconds(1h);
  start(server.port());
  std::int64_t s = 0, f = 0;
  bool two = false;
  run([&]() -> core::Task<> {
    s = co_await source->int_value("str", 4, nullptr);
    f = co_await source->int_value("frac", 4, nullptr);
    two = co_await source->bool_value("two", true, nullptr);
  });
  EXPECT_EQ(s, 4);
  EXPECT_EQ(f, 4);
  EXPECT_TRUE(two);
  EXPECT_EQ(source->last_evaluation().error_code, "TYPE_MISMATCH");
  const auto w = warnings();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("'str'"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("\"on\" is not an integer (TYPE_MISMATCH)"), std::string::npos) << w[0];
  EXPECT_NE(w[2].find("'two'"), std::string::npos) << w[2];
}

TEST_F(OfrepFlagSourceTest, LenientNumericTypes) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target.ends_with("/one")) return http_reply(200, success("one", "1"));
    if (r.target.ends_with("/zero")) return http_reply(200, success("zero", "0"));
    return http_reply(200, success("float", "25.0"));
  });
  start(server.port());
  bool one = false, zero = true;
  std::int64_t fl = 0;
  run([&]() -> core::Task<> {
    one = co_await source->bool_value("one", false, nullptr);
    zero = co_await source->bool_value("zero", true, nullptr);
    fl = co_await source->int_value("float", 0, nullptr);
  });
  EXPECT_TRUE(one);
  EXPECT_FALSE(zero);
  EXPECT_EQ(fl, 25);
  EXPECT_TRUE(warnings().empty());
}

TEST_F(OfrepFlagSourceTest, MalformedAnswerGivesTheDefault) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "<html>proxy</html>"); });
  start(server.port());
  std::int64_t v = 0;
  run([&]() -> core::Task<> { v = co_await source->int_value("f", 9, nullptr); });
  EXPECT_EQ(v, 9);
  EXPECT_EQ(source->last_evaluation().error_code, "PARSE_ERROR");
  const auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("not an OFREP evaluation"), std::string::npos) << w[0];
}

TEST_F(OfrepFlagSourceTest, CodeDefaultIsNoError) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(200, R"({"key":"f","reason":"DEFAULT","variant":"off"})");
  });
  start(server.port());
  std::int64_t v = 0;
  run([&]() -> core::Task<> { v = co_await source->int_value("f", 11, nullptr); });
  EXPECT_EQ(v, 11);
  EXPECT_EQ(source->last_evaluation().reason, "DEFAULT");
  EXPECT_EQ(source->last_evaluation().error_code, "");
  EXPECT_TRUE(warnings().empty());
}

TEST_F(OfrepFlagSourceTest, TimeoutGivesTheDefault) {
  TestServer server([](const ReceivedRequest&) { return Reply{"", Reply::After::kHang}; });
  cfg.timeout = 200ms;
  start(server.port());
  std::int64_t v = 0;
  const auto t0 = std::chrono::steady_clock::now();
  run([&]() -> core::Task<> { v = co_await source->int_value("f", 6, nullptr); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(v, 6);
  const auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("read_timeout"), std::string::npos) << w[0];
}

TEST_F(OfrepFlagSourceTest, CallersDoNotWaitForAnInFlightFetch) {
  Gate gate;
  TestServer server([&](const ReceivedRequest&) {
    gate.wait();
    return http_reply(200, success("f", "42"));
  });
  cfg.cache_ttl = std::chrono::milliseconds(1h);
  start(server.port());
  bool first_done = false;
  std::int64_t first = 0, during = 0, after = 0;
  std::string during_code;
  net::Sleeper wake;
  run([&]() -> core::Task<> {
    // Named, so its captures outlive the spawned coroutine (this frame waits for it below).
    auto fetch = [&]() -> core::Task<> { first = co_await source->int_value("f", -1, nullptr); };
    core::spawn(fetch(), [&](std::exception_ptr) {
      first_done = true;
      loop.wake(wake);
    });
    // The fetch is in flight (held by the gate): this caller gets its default at once. Were it
    // to wait, the gate would never open and the test would time out.
    for (int i = 0; i < 5; ++i) during = co_await source->int_value("f", -2, nullptr);
    during_code = source->last_evaluation().error_code;
    EXPECT_FALSE(first_done);
    gate.open();
    while (!first_done) co_await loop.sleep(wake, 5s);
    after = co_await source->int_value("f", -3, nullptr);
  });
  EXPECT_EQ(during, -2);
  EXPECT_EQ(during_code, "PROVIDER_NOT_READY");
  EXPECT_EQ(first, 42);
  EXPECT_EQ(after, 42);
  EXPECT_TRUE(source->last_evaluation().from_cache);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_TRUE(warnings().empty());
}

TEST_F(OfrepFlagSourceTest, StaleValueServedWhileRefreshing) {
  Gate gate;
  int served = 0;
  TestServer server([&](const ReceivedRequest&) {
    if (++served > 1) gate.wait();
    return http_reply(200, success("f", std::to_string(served)));
  });
  cfg.cache_ttl = 50ms;
  start(server.port());
  bool refresh_done = false;
  std::int64_t initial = 0, stale = 0, refreshed = 0;
  bool stale_from_cache = false;
  net::Sleeper wake;
  run([&]() -> core::Task<> {
    initial = co_await source->int_value("f", 0, nullptr);
    co_await pause(80ms);
    auto refresh = [&]() -> core::Task<> {
      refreshed = co_await source->int_value("f", 0, nullptr);
    };
    core::spawn(refresh(), [&](std::exception_ptr) {
      refresh_done = true;
      loop.wake(wake);
    });
    stale = co_await source->int_value("f", 0, nullptr);
    stale_from_cache = source->last_evaluation().from_cache;
    gate.open();
    while (!refresh_done) co_await loop.sleep(wake, 5s);
  });
  EXPECT_EQ(initial, 1);
  EXPECT_EQ(stale, 1);
  EXPECT_TRUE(stale_from_cache);
  EXPECT_EQ(refreshed, 2);
  EXPECT_EQ(server.request_count(), 2u);
}

}  // namespace
}  // namespace loadgen::flags
