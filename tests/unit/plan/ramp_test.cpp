// Tests for plan/ramp: Locust 2.12 dispatch timing (steps of max(1, floor(rate)) users,
// step/rate seconds apart, the first at once).
#include "plan/ramp.hpp"

#include <gtest/gtest.h>

namespace loadgen::plan {
namespace {

TEST(Ramp, RateTenAddsTenUsersPerSecondStartingAtOnce) {
  const Ramp r{0, 100, 10, 0};
  EXPECT_EQ(r.step(), 10);
  EXPECT_EQ(r.desired(0), 10);
  EXPECT_EQ(r.desired(0.999), 10);
  EXPECT_EQ(r.desired(1), 20);
  EXPECT_EQ(r.desired(2.5), 30);
  EXPECT_EQ(r.desired(9), 100);
  EXPECT_EQ(r.desired(1000), 100);
  EXPECT_DOUBLE_EQ(r.duration_s(), 9);
}

TEST(Ramp, FractionalRateBelowOneAddsOneUserEveryOneOverRateSeconds) {
  const Ramp r{0, 3, 0.5, 10};  // starts at t = 10
  EXPECT_EQ(r.step(), 1);
  EXPECT_EQ(r.desired(10), 1);
  EXPECT_EQ(r.desired(11.99), 1);
  EXPECT_EQ(r.desired(12), 2);
  EXPECT_EQ(r.desired(14), 3);
  EXPECT_EQ(r.desired(99), 3);
  EXPECT_DOUBLE_EQ(r.duration_s(), 4);
}

TEST(Ramp, NonIntegerRateAboveOneUsesFloorSizedSteps) {
  const Ramp r{0, 10, 2.5, 0};  // steps of 2, 0.8 s apart
  EXPECT_EQ(r.step(), 2);
  EXPECT_EQ(r.desired(0), 2);
  EXPECT_EQ(r.desired(0.79), 2);
  EXPECT_EQ(r.desired(0.8), 4);
  EXPECT_EQ(r.desired(1.6), 6);
  EXPECT_EQ(r.desired(3.2), 10);
  EXPECT_DOUBLE_EQ(r.duration_s(), 3.2);
}

TEST(Ramp, LastStepIsClampedToTheTarget) {
  const Ramp r{0, 25, 10, 0};
  EXPECT_EQ(r.desired(2), 25);
  EXPECT_DOUBLE_EQ(r.duration_s(), 2);
}

TEST(Ramp, RampsDown) {
  const Ramp r{10, 4, 2, 0};
  EXPECT_EQ(r.desired(0), 8);
  EXPECT_EQ(r.desired(1), 6);
  EXPECT_EQ(r.desired(2), 4);
  EXPECT_EQ(r.desired(5), 4);
  EXPECT_DOUBLE_EQ(r.duration_s(), 2);
}

TEST(Ramp, FromAboveAtHighRateGoesAllTheWayAtOnce) {
  const Ramp r{10, 4, 100, 0};
  EXPECT_EQ(r.desired(0), 4);
  EXPECT_DOUBLE_EQ(r.duration_s(), 0);
}

TEST(Ramp, FromEqualsToIsFlat) {
  const Ramp r{5, 5, 1, 0};
  EXPECT_EQ(r.desired(-1), 5);
  EXPECT_EQ(r.desired(0), 5);
  EXPECT_EQ(r.desired(100), 5);
  EXPECT_DOUBLE_EQ(r.duration_s(), 0);
}

TEST(Ramp, TimeBeforeTheStartCountsAsTheStart) {
  const Ramp r{0, 10, 1, 5};
  EXPECT_EQ(r.desired(0), 1);
}

TEST(Ramp, StepDueExactlyNowIsNotMissedThroughRounding) {
  const Ramp r{0, 100, 3, 0.1};  // interval 1 s; 0.1 + 0.7 * 3 style sums are inexact
  EXPECT_EQ(r.desired(0.1 + 1.0), 6);
  EXPECT_EQ(r.desired(0.1 + 2.0), 9);
  const Ramp tenth{0, 100, 10, 0};
  double t = 0;
  for (int i = 0; i < 9; ++i) t += 1.0;  // 9.0 by accumulation
  EXPECT_EQ(tenth.desired(t), 100);
}

}  // namespace
}  // namespace loadgen::plan
