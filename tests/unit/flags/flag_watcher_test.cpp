// Tests for flags/flag_watcher: a master's users flag, polled on a thread of its own against a
// real OFREP endpoint (the test server): the value follows the flag, and destruction ends the
// thread promptly.
#include "flags/flag_watcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "test_server.hpp"

namespace loadgen::flags {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds limit = 8000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

TEST(FlagWatcher, FollowsTheFlagAndStopsPromptly) {
  std::atomic<int> value{7};
  testing::TestServer server([&](const testing::ReceivedRequest&) {
    return testing::http_reply(200,
                               R"({"key":"loadGeneratorVUs","value":)" +
                                   std::to_string(value.load()) +
                                   R"(,"variant":"v","reason":"STATIC","metadata":{}})",
                               "Content-Type: application/json\r\n");
  });
  OfrepConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = server.port();
  const auto started = std::chrono::steady_clock::now();
  {
    FlagWatcher w(cfg, "loadGeneratorVUs", nullptr);
    EXPECT_EQ(w.key(), "loadGeneratorVUs");
    ASSERT_TRUE(eventually([&] { return w.value() == 7; }));
    value = 12;  // seen after the source's cache expires (about a second)
    ASSERT_TRUE(eventually([&] { return w.value() == 12; }));
    EXPECT_GE(w.polls(), 2u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_GE(server.request_count(), 2u);
}

TEST(FlagWatcher, AnUnreachableFlagdLeavesZero) {
  OfrepConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 1;  // nothing listens there
  FlagWatcher w(cfg, "loadGeneratorVUs", nullptr);
  ASSERT_TRUE(eventually([&] { return w.polls() >= 1; }));
  EXPECT_EQ(w.value(), 0);
}

}  // namespace
}  // namespace loadgen::flags
