// Tests for plan/arrival_schedule in virtual time: due = n / rate, ramps through the integral
// of the rate, the end of the stages, and the workers' interleaved shares.
#include "plan/arrival_schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace loadgen::plan {
namespace {

Stage stage(double duration_s, double target) { return Stage{duration_s, target, {}, "test"}; }

TEST(ArrivalSchedule, ConstantRateIsNOverRateWithoutEnd) {
  const auto s = ArrivalSchedule::constant(50);
  EXPECT_DOUBLE_EQ(*s.due(0), 0);
  EXPECT_DOUBLE_EQ(*s.due(1), 0.02);
  EXPECT_DOUBLE_EQ(*s.due(500), 10);
  EXPECT_DOUBLE_EQ(*s.due(5'000'000), 100'000);
  EXPECT_FALSE(s.end_s());
  EXPECT_DOUBLE_EQ(s.rate_at(123), 50);
  EXPECT_DOUBLE_EQ(s.count_at(2), 100);
}

TEST(ArrivalSchedule, RampFollowsTheIntegralOfTheRate) {
  // 0 -> 50/s over 10 s (250 iterations), then 50 -> 200/s over 30 s (3750 more).
  const auto s = ArrivalSchedule::ramping({stage(10, 50), stage(30, 200)});
  ASSERT_TRUE(s.end_s());
  EXPECT_DOUBLE_EQ(*s.end_s(), 40);
  EXPECT_DOUBLE_EQ(s.count_at(10), 250);
  EXPECT_DOUBLE_EQ(s.count_at(40), 4000);
  EXPECT_DOUBLE_EQ(s.rate_at(5), 25);
  EXPECT_DOUBLE_EQ(s.rate_at(25), 125);
  EXPECT_DOUBLE_EQ(*s.due(0), 0);
  // In the first stage count(t) = 2.5 t^2.
  EXPECT_NEAR(*s.due(10), 2, 1e-9);
  EXPECT_NEAR(*s.due(250), 10, 1e-9);
  // Every due time inverts the integral, in order.
  double last = 0;
  for (std::uint64_t n = 0; n <= 4000; ++n) {
    const auto t = s.due(n);
    ASSERT_TRUE(t) << n;
    EXPECT_NEAR(s.count_at(*t), static_cast<double>(n), 1e-6) << n;
    EXPECT_GE(*t, last);
    last = *t;
  }
  EXPECT_FALSE(s.due(4001));
}

TEST(ArrivalSchedule, DownRampsHoldsAtZeroAndJumps) {
  // Jump to 100/s, hold 2 s, down to 0 over 2 s, 0 for 5 s, jump to 10/s for 1 s.
  const auto s = ArrivalSchedule::ramping(
      {stage(0, 100), stage(2, 100), stage(2, 0), stage(5, 0), stage(0, 10), stage(1, 10)});
  EXPECT_DOUBLE_EQ(*s.end_s(), 10);
  EXPECT_DOUBLE_EQ(s.count_at(2), 200);
  EXPECT_DOUBLE_EQ(s.count_at(4), 300);
  EXPECT_DOUBLE_EQ(s.count_at(9), 300);
  EXPECT_DOUBLE_EQ(s.count_at(10), 310);
  EXPECT_NEAR(*s.due(100), 1, 1e-9);
  EXPECT_NEAR(*s.due(275), 3, 1e-9);  // 100 t - 25 t^2 = 75 at t = 1 into the down ramp
  EXPECT_NEAR(*s.due(300), 4, 1e-6);
  // Nothing is due while the rate is 0: the next iteration waits for the last stage.
  EXPECT_NEAR(*s.due(301), 9.1, 1e-9);
  EXPECT_NEAR(*s.due(310), 10, 1e-9);
  EXPECT_FALSE(s.due(311));
}

TEST(ArrivalSchedule, WorkersShareTheScheduleInterleaved) {
  // Worker w of W takes iterations w, w + W, ...: together exactly the schedule, each at rate/W.
  const auto s = ArrivalSchedule::constant(1000);
  constexpr std::uint64_t kWorkers = 3;
  std::uint64_t total = 0;
  for (std::uint64_t w = 0; w < kWorkers; ++w) {
    std::uint64_t mine = 0;
    for (std::uint64_t n = w;; n += kWorkers) {
      if (*s.due(n) >= 1.0) break;
      ++mine;
    }
    EXPECT_NEAR(static_cast<double>(mine), 1000.0 / kWorkers, 1);
    total += mine;
  }
  EXPECT_EQ(total, 1000u);
}

}  // namespace
}  // namespace loadgen::plan
