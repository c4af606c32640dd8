#include "app/loop_load.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "app/app_metrics.hpp"
#include "app/log.hpp"

namespace loadgen::app {
namespace {

constexpr std::int64_t kS = 1'000'000'000;

TEST(CpuUtilization, FirstSampleIsUnknownThenCpuOverWall) {
  CpuUtilization u;
  EXPECT_EQ(u.sample({0, 5}, 10 * kS), (std::vector<double>{-1.0, -1.0}));
  const auto r = u.sample({kS / 2, 5 + 2 * kS}, 12 * kS);  // 0.5 s and 2 s of CPU in 2 s
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(r[0], 0.25);
  EXPECT_DOUBLE_EQ(r[1], 1.0);
}

TEST(CpuUtilization, UnknownOrBackwardsThreadsAreSkipped) {
  CpuUtilization u;
  u.sample({kS, -1, 3 * kS}, 0);
  const auto r = u.sample({2 * kS, kS, kS}, kS);
  EXPECT_DOUBLE_EQ(r[0], 1.0);
  EXPECT_EQ(r[1], -1.0);  // unknown at the previous sample
  EXPECT_EQ(r[2], -1.0);  // a thread id reused: its clock went backwards
  // A thread count change (not expected) restarts the window rather than mixing threads.
  EXPECT_EQ(u.sample({3 * kS}, 2 * kS), std::vector<double>{-1.0});
}

struct Captured {
  std::vector<std::string> messages;
};

TEST(LoopLoadWatch, WarnsOnceWhenALoopIsSaturatedAndSaysSoInTheSummary) {
  Log log;
  log.configure("WARNING", "/dev/null");
  Captured c;
  log.set_record_hook([&c](otel::LogRecord&& r) {
    if (r.body) {
      if (const auto* s = std::get_if<std::string>(&r.body->v)) c.messages.push_back(*s);
    }
  });
  LoopLoadWatch w;
  w.check({0, 0}, 0, log);
  w.check({kS, 2 * kS}, 5 * kS, log);  // 20 %, 40 %
  EXPECT_TRUE(c.messages.empty());
  EXPECT_EQ(w.summary(), "");
  w.check({kS + 4'600'000'000, 2 * kS}, 10 * kS, log);  // loop 0: 92 %
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_NE(c.messages[0].find("Event loop loadgen-w0 used 92% of a CPU"), std::string::npos)
      << c.messages[0];
  w.check({kS + 9'600'000'000, 2 * kS}, 15 * kS, log);  // 100 % again: no second warning
  EXPECT_EQ(c.messages.size(), 1u);
  const std::string s = w.summary();
  EXPECT_NE(s.find("event loop loadgen-w0 peaked at 100% CPU"), std::string::npos) << s;
  EXPECT_NE(s.find("in 2 of 3 5-second windows"), std::string::npos) << s;
  log.set_record_hook(nullptr);
}

TEST(LoopLoadWatch, BelowTheThresholdSaysNothing) {
  Log log;
  log.configure("WARNING", "/dev/null");
  int n = 0;
  log.set_record_hook([&n](otel::LogRecord&&) { ++n; });
  LoopLoadWatch w;
  for (int i = 0; i <= 10; ++i) w.check({i * 4 * kS}, i * 5 * kS, log);  // 80 %
  EXPECT_EQ(n, 0);
  EXPECT_EQ(w.summary(), "");
  log.set_record_hook(nullptr);
}

}  // namespace
}  // namespace loadgen::app
