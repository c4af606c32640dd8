// Tests for core/timespan: Locust's run-time syntax, durations with units, formatting.
#include "core/timespan.hpp"

#include <gtest/gtest.h>

namespace loadgen::core {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;
using namespace std::chrono_literals;

seconds ts(std::string_view s) {
  auto r = parse_timespan(s, "--run-time");
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : seconds(-1);
}

TEST(ParseTimespan, BareIntegerIsSeconds) {
  EXPECT_EQ(ts("20"), 20s);
  EXPECT_EQ(ts("0"), 0s);
  EXPECT_EQ(ts(" 7 "), 7s);
}

TEST(ParseTimespan, Units) {
  EXPECT_EQ(ts("20s"), 20s);
  EXPECT_EQ(ts("3m"), 180s);
  EXPECT_EQ(ts("2h"), 7200s);
  EXPECT_EQ(ts("1h20m"), 4800s);
  EXPECT_EQ(ts("3h30m10s"), 12610s);
  EXPECT_EQ(ts("1h 30m"), 5400s);
  EXPECT_EQ(ts("90m"), 5400s);
  EXPECT_EQ(ts("1m 5s"), 65s);
}

TEST(ParseTimespan, RejectsGarbageNegativeEmpty) {
  for (std::string_view bad : {"", "  ", "-5", "-1m", "abc", "1x", "20sx", "1h20", "30m1h", "1h1h",
                               "1.5h", "h", "1 h", "20 30", "99999999999999999999"}) {
    auto r = parse_timespan(bad, "--run-time");
    ASSERT_FALSE(r.ok()) << "'" << bad << "'";
    EXPECT_EQ(r.error().code, "bad_timespan");
    EXPECT_NE(r.error().message.find("--run-time"), std::string::npos) << r.error().message;
    EXPECT_FALSE(r.error().hint.empty());
  }
  EXPECT_NE(parse_timespan("-5", "x").error().message.find("negative"), std::string::npos);
}

TEST(ParseDuration, Units) {
  auto d = [](std::string_view s) {
    auto r = parse_duration(s, "--timeout");
    EXPECT_TRUE(r.ok()) << s;
    return r.ok() ? *r : nanoseconds(-1);
  };
  EXPECT_EQ(d("250ms"), 250ms);
  EXPECT_EQ(d("20us"), 20us);
  EXPECT_EQ(d("1.5us"), 1500ns);
  EXPECT_EQ(d("1.5s"), 1500ms);
  EXPECT_EQ(d("2m"), 120s);
  EXPECT_EQ(d("1h"), 3600s);
  EXPECT_EQ(d("3"), 3s);
  EXPECT_EQ(d("0.25"), 250ms);
  EXPECT_EQ(d("500 ms"), 500ms);
  EXPECT_EQ(d(".5s"), 500ms);
  EXPECT_EQ(d("0"), 0s);
}

TEST(ParseDuration, Rejects) {
  for (std::string_view bad :
       {"", "-1s", "-5", "abc", "1.2.3s", "1e3", "inf", "nan", "5d", "s", "1sx", ".", "1e400"}) {
    auto r = parse_duration(bad, "--timeout");
    ASSERT_FALSE(r.ok()) << "'" << bad << "'";
    EXPECT_EQ(r.error().code, "bad_duration");
    EXPECT_NE(r.error().message.find("--timeout"), std::string::npos);
  }
  EXPECT_NE(parse_duration("-1s", "x").error().message.find("negative"), std::string::npos);
}

TEST(FormatSeconds, Renders) {
  EXPECT_EQ(format_seconds(0s), "0s");
  EXPECT_EQ(format_seconds(59s), "59s");
  EXPECT_EQ(format_seconds(90s), "1m 30s");
  EXPECT_EQ(format_seconds(3600s), "1h");
  EXPECT_EQ(format_seconds(3723s), "1h 2m 3s");
  EXPECT_EQ(format_seconds(3603s), "1h 3s");
  EXPECT_EQ(format_seconds(-65s), "-1m 5s");
}

}  // namespace
}  // namespace loadgen::core
