// Tests for scenario/wait_time: parsing Locust's wait-time forms and the waits they give.
#include "scenario/wait_time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace loadgen::scenario {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

TEST(ParseWaitTime, ValidForms) {
  auto c = parse_wait_time("constant(0)");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, WaitTime::Kind::kConstant);
  EXPECT_EQ(c->a, 0.0);

  auto b = parse_wait_time("  between( 1 , 10 ) ");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->kind, WaitTime::Kind::kBetween);
  EXPECT_EQ(b->a, 1.0);
  EXPECT_EQ(b->b, 10.0);

  auto same = parse_wait_time("between(2,2)");
  ASSERT_TRUE(same.ok());

  auto p = parse_wait_time("constant_pacing(2.5)");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, WaitTime::Kind::kConstantPacing);
  EXPECT_EQ(p->a, 2.5);

  auto t = parse_wait_time("constant_throughput(5)");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, WaitTime::Kind::kConstantThroughput);
  EXPECT_EQ(t->a, 5.0);

  auto frac = parse_wait_time("constant(0.001)");
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ(frac->a, 0.001);
}

struct BadCase {
  const char* text;
  const char* why;  // a fragment of the message
};

class ParseWaitTimeError : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseWaitTimeError, ReportsTheInputAndWhy) {
  const BadCase& c = GetParam();
  auto r = parse_wait_time(c.text, "--wait-time");
  ASSERT_FALSE(r.ok()) << c.text;
  EXPECT_EQ(r.error().code, "bad_value");
  EXPECT_NE(r.error().message.find("--wait-time"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(std::string("'") + c.text + "'"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(c.why), std::string::npos) << r.error().message;
  EXPECT_FALSE(r.error().hint.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseWaitTimeError,
    ::testing::Values(
        BadCase{"", "not of the form"}, BadCase{"constant", "not of the form"},
        BadCase{"constant(1", "not of the form"}, BadCase{"constant(x)", "not a number"},
        BadCase{"constant()", "not a number"}, BadCase{"constant(1s)", "not a number"},
        BadCase{"constant(inf)", "not a number"}, BadCase{"constant(nan)", "not a number"},
        BadCase{"between(1,)", "not a number"}, BadCase{"constant(-1)", "negative"},
        BadCase{"between(-1, 2)", "negative"}, BadCase{"between(3, 1)", "MIN above MAX"},
        BadCase{"constant_throughput(0)", "rate above 0"},
        BadCase{"constant(1e10)", "above the maximum wait"},
        BadCase{"constant(86400.5)", "above the maximum wait"},
        BadCase{"between(1, 1e300)", "above the maximum wait"},
        BadCase{"between(1e10, 1e11)", "above the maximum wait"},
        BadCase{"constant_pacing(1e19)", "above the maximum wait"},
        BadCase{"constant_throughput(1e-10)", "rate of at least"},
        BadCase{"constant(1e400)", "not a number"}, BadCase{"between(1)", "not a known wait time"},
        BadCase{"constant(1, 2)", "not a known wait time"},
        BadCase{"sometimes(1)", "not a known wait time"}, BadCase{"(1)", "not a known wait time"}));

TEST(ParseWaitTime, TheMaximumIsAcceptedAndNeverWraps) {
  auto c = parse_wait_time("constant(86400)");
  ASSERT_TRUE(c.ok());
  core::Rng rng(1);
  EXPECT_EQ(c->next(rng, 0ns), 24h);
  auto b = parse_wait_time("between(86399, 86400)");
  ASSERT_TRUE(b.ok());
  for (int i = 0; i < 100; ++i) {
    const nanoseconds d = b->next(rng, 0ns);
    ASSERT_GE(d, 86399s);
    ASSERT_LE(d, 24h);
  }
  auto t = parse_wait_time("constant_throughput(0.0000115741)");  // just above 1/86400
  ASSERT_TRUE(t.ok());
  EXPECT_GT(t->next(rng, 0ns), 23h);
}

TEST(ParseWaitTime, NameOfTheOptionIsInTheMessage) {
  auto r = parse_wait_time("nope", "wait_time in locust.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().message.starts_with("wait_time in locust.conf: 'nope'"))
      << r.error().message;
}

TEST(WaitTime, ConstantIsExact) {
  core::Rng rng(1);
  EXPECT_EQ(WaitTime::constant(1.5).next(rng, 0ns), 1500ms);
  EXPECT_EQ(WaitTime::constant(1.5).next(rng, 10s), 1500ms);  // ignores the task's duration
  EXPECT_EQ(WaitTime::constant(0).next(rng, 0ns), 0ns);
}

TEST(WaitTime, BetweenStaysInRangeAndSpreads) {
  core::Rng rng(7);
  const WaitTime w = WaitTime::between(1, 3);
  nanoseconds lo = 1h, hi = 0ns;
  double sum = 0;
  constexpr int kN = 10000;
  for (int i = 0; i < kN; ++i) {
    const nanoseconds d = w.next(rng, 0ns);
    ASSERT_GE(d, 1s);
    ASSERT_LE(d, 3s);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    sum += std::chrono::duration<double>(d).count();
  }
  EXPECT_LT(lo, 1100ms);
  EXPECT_GT(hi, 2900ms);
  EXPECT_NEAR(sum / kN, 2.0, 0.05);
  EXPECT_EQ(WaitTime::between(2, 2).next(rng, 0ns), 2s);
}

TEST(WaitTime, ConstantPacingSubtractsTheTaskTime) {
  core::Rng rng(1);
  const WaitTime w = WaitTime::constant_pacing(2);
  EXPECT_EQ(w.next(rng, 0ns), 2s);
  EXPECT_EQ(w.next(rng, 500ms), 1500ms);
  EXPECT_EQ(w.next(rng, 2s), 0ns);
  EXPECT_EQ(w.next(rng, 3s), 0ns);  // never negative
}

TEST(WaitTime, ConstantThroughputIsPacingAtOneOverRate) {
  core::Rng rng(1);
  const WaitTime w = WaitTime::constant_throughput(4);
  EXPECT_EQ(w.next(rng, 0ns), 250ms);
  EXPECT_EQ(w.next(rng, 100ms), 150ms);
  EXPECT_EQ(w.next(rng, 1s), 0ns);
}

}  // namespace
}  // namespace loadgen::scenario
