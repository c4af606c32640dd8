// Tests for plan/stages: the --stages / --arrival-stages syntax (every error) and StagesShape
// in virtual time (k6 ramping-vus lines, Locust shape spawn rates, the stop after the last).
#include "plan/stages.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "plan/ramp.hpp"

namespace loadgen::plan {
namespace {

std::vector<Stage> users(std::string_view text) {
  auto r = parse_stages(text, StageKind::kUsers, "--stages");
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : std::vector<Stage>{};
}

std::string error_of(std::string_view text, StageKind kind = StageKind::kUsers) {
  auto r = parse_stages(text, kind, "--stages");
  EXPECT_FALSE(r) << text;
  return r ? std::string() : r.error().message;
}

TEST(ParseStages, ReadsDurationsTargetsAndSpawnRates) {
  const auto s = users("30s:100, 1m:100:10 ,1m30s:0,500ms:5,2:3,1.5m:7");
  ASSERT_EQ(s.size(), 6u);
  EXPECT_DOUBLE_EQ(s[0].duration_s, 30);
  EXPECT_DOUBLE_EQ(s[0].target, 100);
  EXPECT_FALSE(s[0].spawn_rate);
  EXPECT_EQ(s[0].origin, "--stages");
  EXPECT_DOUBLE_EQ(s[1].duration_s, 60);
  EXPECT_DOUBLE_EQ(*s[1].spawn_rate, 10);
  EXPECT_DOUBLE_EQ(s[2].duration_s, 90);
  EXPECT_DOUBLE_EQ(s[2].target, 0);
  EXPECT_DOUBLE_EQ(s[3].duration_s, 0.5);
  EXPECT_DOUBLE_EQ(s[4].duration_s, 2);
  EXPECT_DOUBLE_EQ(s[5].duration_s, 90);
}

TEST(ParseStages, ArrivalStagesTakeRatesPerSecondOrPerMinute) {
  auto r = parse_stages("10s:50,30s:200/s,1m:600/m,5s:0", StageKind::kArrivalRate, "x");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_DOUBLE_EQ((*r)[0].target, 50);
  EXPECT_DOUBLE_EQ((*r)[1].target, 200);
  EXPECT_DOUBLE_EQ((*r)[2].target, 10);
  EXPECT_DOUBLE_EQ((*r)[3].target, 0);
}

TEST(ParseStages, EveryErrorIsReportedAtOnceNamingItsStage) {
  const std::string m =
      error_of("30s,abc:10,10s:-1,10s:1.5,10s:5:0,10s:5:x,1s:1:2:3,,10s:2000000000");
  EXPECT_NE(m.find("stage 1 '30s': no target (expected DURATION:USERS[:SPAWN_RATE]"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("stage 2 'abc:10': 'abc' is not a duration"), std::string::npos) << m;
  EXPECT_NE(m.find("stage 3 '10s:-1': users '-1' is not a whole number >= 0"), std::string::npos)
      << m;
  EXPECT_NE(m.find("stage 4 '10s:1.5': users '1.5' is not a whole number"), std::string::npos) << m;
  EXPECT_NE(m.find("stage 5 '10s:5:0': spawn rate '0' is not a number > 0"), std::string::npos)
      << m;
  EXPECT_NE(m.find("stage 6 '10s:5:x': spawn rate 'x' is not a number > 0"), std::string::npos)
      << m;
  EXPECT_NE(m.find("stage 7 '1s:1:2:3': too many ':' fields"), std::string::npos) << m;
  EXPECT_NE(m.find("stage 8 is empty (a stray ',')"), std::string::npos) << m;
  EXPECT_NE(m.find("stage 9 '10s:2000000000': users '2000000000' is out of range"),
            std::string::npos)
      << m;
}

TEST(ParseStages, EmptyTextAndZeroLengthProfilesAreErrors) {
  EXPECT_NE(error_of("").find("empty (expected DURATION:USERS"), std::string::npos);
  EXPECT_NE(error_of("  ").find("empty"), std::string::npos);
  EXPECT_NE(error_of("0s:10,0:5").find("every stage lasts 0 s"), std::string::npos);
  EXPECT_NE(error_of("-5s:10").find("'-5s' is not a duration"), std::string::npos);
  EXPECT_NE(error_of("5q:10").find("'5q' is not a duration"), std::string::npos);
}

TEST(ParseStages, ArrivalStageErrors) {
  const std::string m = error_of("10s:50:5,10s:x,10s:-3,10s:5/h", StageKind::kArrivalRate);
  EXPECT_NE(m.find("stage 1 '10s:50:5': arrival-rate stages take no spawn rate"), std::string::npos)
      << m;
  EXPECT_NE(m.find("stage 2 '10s:x': rate 'x' is not a number >= 0"), std::string::npos) << m;
  EXPECT_NE(m.find("stage 3 '10s:-3': rate '-3'"), std::string::npos) << m;
  EXPECT_NE(m.find("stage 4 '10s:5/h': rate '5/h'"), std::string::npos) << m;
  EXPECT_NE(error_of("10s", StageKind::kArrivalRate).find("(expected DURATION:RATE"),
            std::string::npos);
  EXPECT_NE(error_of("1s:1:2:3", StageKind::kArrivalRate).find("too many ':' fields"),
            std::string::npos);
}

TEST(ParseRate, PerSecondPerMinuteAndErrors) {
  EXPECT_DOUBLE_EQ(*parse_rate("50"), 50);
  EXPECT_DOUBLE_EQ(*parse_rate("50/s"), 50);
  EXPECT_DOUBLE_EQ(*parse_rate(" 120/m "), 2);
  EXPECT_DOUBLE_EQ(*parse_rate("0.5"), 0.5);
  for (const char* bad : {"", "0", "0/s", "-1", "x", "5/h", "1e3", "inf", "/s"}) {
    auto r = parse_rate(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("not a rate > 0"), std::string::npos);
  }
}

// The open model's bounds: at most 1e7 iterations/s (beyond it the schedule cannot be kept),
// at least one a day (a slower rate's due times overflow), stages of at most 366 days.
TEST(ParseRate, BoundedAboveAndBelow) {
  EXPECT_DOUBLE_EQ(*parse_rate("10000000"), 1e7);
  EXPECT_DOUBLE_EQ(*parse_rate("1/m"), 1.0 / 60);
  auto fast = parse_rate("100000000");
  ASSERT_FALSE(fast);
  EXPECT_EQ(fast.error().message, "too high: 1e+08 iterations/s is above the maximum of 1e+07/s");
  auto slow = parse_rate("0.000001");
  ASSERT_FALSE(slow);
  EXPECT_NE(slow.error().message.find("too low: 1e-06 iterations/s is below the minimum of one "
                                      "a day"),
            std::string::npos)
      << slow.error().message;
}

TEST(ParseStages, ArrivalRatesAndTheirTotalAreBounded) {
  EXPECT_TRUE(parse_stages("10s:0,10s:10000000", StageKind::kArrivalRate, "x"));
  const std::string m = error_of("10s:20000000,10s:0.000001", StageKind::kArrivalRate);
  EXPECT_NE(m.find("stage 1 '10s:20000000': rate '20000000' is too high"), std::string::npos) << m;
  EXPECT_NE(m.find("stage 2 '10s:0.000001': rate '0.000001' is too low"), std::string::npos) << m;
  const std::string t = error_of("5000h:5,5000h:5", StageKind::kArrivalRate);
  EXPECT_NE(t.find("at most 3.16224e+07 s (366 days)"), std::string::npos) << t;
}

TEST(ParseStages, SpawnRatesAreBounded) {
  EXPECT_TRUE(parse_stages("10s:100:1000000000", StageKind::kUsers, "x"));
  const std::string m = error_of("10s:100:1e20,10s:100:100000000000", StageKind::kUsers);
  EXPECT_NE(m.find("stage 1 '10s:100:1e20': spawn rate '1e20' is not a number > 0"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("stage 2 '10s:100:100000000000': spawn rate '100000000000' is too high (at "
                   "most 1e+09 users/s)"),
            std::string::npos)
      << m;
  // A stage's own slope is bounded the same way (a short stage to many users).
  StagesShape shape(*parse_stages("1ms:1000000000", StageKind::kUsers, "x"));
  const auto first = shape.tick(0);
  ASSERT_TRUE(first);
  EXPECT_LE(first->spawn_rate, kMaxSpawnRate);
}

TEST(StagesShape, LinearStagesAreOneRampEachAtTheSlope) {
  StagesShape shape(users("10s:100,20s:100,10s:0"));
  EXPECT_EQ(shape.tick(0), (Target{100, 10}));
  EXPECT_EQ(shape.tick(9.99), (Target{100, 10}));
  // The hold keeps the ramp's rate: the same target, so the runner starts no new ramp.
  EXPECT_EQ(shape.tick(10), (Target{100, 10}));
  EXPECT_EQ(shape.tick(29.9), (Target{100, 10}));
  EXPECT_EQ(shape.tick(30), (Target{0, 10}));
  EXPECT_EQ(shape.tick(39.99), (Target{0, 10}));
  EXPECT_FALSE(shape.tick(40));
  EXPECT_FALSE(shape.tick(1000));
}

TEST(StagesShape, UserCountFollowsK6LineWithinOneSpawnStep) {
  // What the runner does with the shape: one ramp per changed target, from the users it has.
  StagesShape shape(users("30s:90,1m:90,20s:30,10s:30"));
  Target applied{-1, 0};
  Ramp ramp;
  std::int64_t have = 0;
  for (double t = 0; t < 120; t += 0.1) {
    const auto tgt = shape.tick(t);
    ASSERT_TRUE(tgt);
    if (*tgt != applied) {
      applied = *tgt;
      ramp = Ramp{have, tgt->users, tgt->spawn_rate, t};
    }
    have = ramp.desired(t);
    // k6 ramping-vus: linear from the previous target over the stage.
    double k6 = 0;
    if (t < 30) {
      k6 = 90 * t / 30;
    } else if (t < 90) {
      k6 = 90;
    } else if (t < 110) {
      k6 = 90 - 60 * (t - 90) / 20;
    } else {
      k6 = 30;
    }
    EXPECT_LE(std::abs(static_cast<double>(have) - k6), static_cast<double>(ramp.step()) + 1e-9)
        << "t=" << t << " have=" << have << " k6=" << k6;
  }
  EXPECT_FALSE(shape.tick(120));
}

TEST(StagesShape, ExplicitSpawnRateAsksForTheTargetAtThatRate) {
  StagesShape shape(users("10s:50:5,10s:10:20,0s:80,10s:80"));
  EXPECT_EQ(shape.tick(0), (Target{50, 5}));
  EXPECT_EQ(shape.tick(10), (Target{10, 20}));
  // A 0 s stage jumps; the hold after it keeps the jump's (instant) rate.
  const auto jump = shape.tick(20);
  ASSERT_TRUE(jump);
  EXPECT_EQ(jump->users, 80);
  EXPECT_GE(jump->spawn_rate, 1e6);
  EXPECT_FALSE(shape.tick(30));
}

}  // namespace
}  // namespace loadgen::plan
