#include "core/log_sink.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loadgen::core {
namespace {

struct Lines final : LogSink {
  void log(LogLevel level, std::string_view message) override {
    EXPECT_EQ(level, LogLevel::kWarning);
    lines.emplace_back(message);
  }
  std::vector<std::string> lines;
};

constexpr std::int64_t kS = 1'000'000'000;

TEST(RateLimitedWarning, OneLinePerKeyPerIntervalWithTheSuppressedCount) {
  Lines sink;
  RateLimitedWarning w(&sink, std::chrono::seconds(30));
  w.warn("a", "A down", 1 * kS);
  w.warn("a", "A down", 2 * kS);
  w.warn("b", "B down", 2 * kS);  // another key: not limited by a's
  w.warn("a", "A down", 20 * kS);
  w.warn("a", "A down", 31 * kS);
  EXPECT_EQ(sink.lines, (std::vector<std::string>{"A down", "B down",
                                                  "A down (2 similar messages suppressed)"}));
}

TEST(RateLimitedWarning, TalliedOccurrencesCountAsSuppressed) {
  Lines sink;
  RateLimitedWarning w(&sink, std::chrono::seconds(30));
  w.warn("k", "down", 1 * kS, 5);    // logged; the other 4 are suppressed
  w.warn("k", "down", 10 * kS, 10);  // within the interval: 10 more
  w.warn("k", "down", 40 * kS, 1);
  w.warn("k", "down", 41 * kS, 0);  // nothing happened: nothing said
  EXPECT_EQ(sink.lines, (std::vector<std::string>{"down (4 similar messages suppressed)",
                                                  "down (10 similar messages suppressed)"}));
}

TEST(RateLimitedWarning, KeysAreBounded) {
  Lines sink;
  RateLimitedWarning w(&sink, std::chrono::seconds(30));
  for (std::size_t i = 0; i < RateLimitedWarning::kMaxKeys + 50; ++i)
    w.warn("key" + std::to_string(i), "m" + std::to_string(i), kS);
  // Every key beyond the bound shares one state: one line for all of them.
  EXPECT_EQ(sink.lines.size(), RateLimitedWarning::kMaxKeys + 1);
}

TEST(RateLimitedWarning, NoSinkSaysNothing) {
  RateLimitedWarning w(nullptr);
  w.warn("k", "m", kS);  // must not crash
}

}  // namespace
}  // namespace loadgen::core
