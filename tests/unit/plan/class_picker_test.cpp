// Tests for plan/class_picker: fixed_count classes first, then smooth weighted round robin
// (Locust 2.12 dispatch.py).
#include "plan/class_picker.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace loadgen::plan {
namespace {

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

std::vector<std::size_t> picks(ClassPicker& p, std::vector<std::int64_t>& alive, int n) {
  std::vector<std::size_t> out;
  for (int i = 0; i < n; ++i) {
    const std::size_t c = p.next(alive);
    out.push_back(c);
    if (c != kNone) ++alive[c];
  }
  return out;
}

TEST(ClassPicker, SmoothWeightedRoundRobinOneTwoThree) {
  ClassPicker p({{1, 0}, {2, 0}, {3, 0}});
  std::vector<std::int64_t> alive(3, 0);
  const auto first = picks(p, alive, 6);
  EXPECT_EQ(alive, (std::vector<std::int64_t>{1, 2, 3}));
  // Smooth: the heaviest class never runs three times in a row, unlike plain WRR (c,c,c,b,b,a).
  EXPECT_EQ(first, (std::vector<std::size_t>{2, 1, 0, 2, 1, 2}));
  // The sequence repeats every sum-of-weights picks.
  const auto second = picks(p, alive, 6);
  EXPECT_EQ(second, first);
}

TEST(ClassPicker, EqualWeightsAlternate) {
  ClassPicker p({{1, 0}, {1, 0}});
  std::vector<std::int64_t> alive(2, 0);
  EXPECT_EQ(picks(p, alive, 4), (std::vector<std::size_t>{0, 1, 0, 1}));
}

TEST(ClassPicker, ProportionsOverManyPicks) {
  ClassPicker p({{5, 0}, {1, 0}, {4, 0}});
  std::vector<std::int64_t> alive(3, 0);
  picks(p, alive, 1000);
  EXPECT_EQ(alive, (std::vector<std::int64_t>{500, 100, 400}));
}

TEST(ClassPicker, FixedCountClassesComeFirstAndStayAtTheirCount) {
  ClassPicker p({{1, 0}, {1, 2}, {1, 0}});
  std::vector<std::int64_t> alive(3, 0);
  const auto seq = picks(p, alive, 6);
  EXPECT_EQ(seq[0], 1u);
  EXPECT_EQ(seq[1], 1u);
  EXPECT_EQ(alive[1], 2);  // never more than its fixed count
  EXPECT_EQ(alive[0], 2);
  EXPECT_EQ(alive[2], 2);
  // A fixed-count user that stopped is replaced first.
  --alive[1];
  EXPECT_EQ(p.next(alive), 1u);
}

TEST(ClassPicker, OnlyFullFixedCountClassesGiveNone) {
  ClassPicker p({{1, 1}, {1, 2}});
  std::vector<std::int64_t> alive(2, 0);
  EXPECT_EQ(picks(p, alive, 4), (std::vector<std::size_t>{0, 1, 1, kNone}));
}

TEST(ClassPicker, ZeroWeightClassIsNeverPicked) {
  ClassPicker p({{0, 0}, {1, 0}});
  std::vector<std::int64_t> alive(2, 0);
  picks(p, alive, 5);
  EXPECT_EQ(alive, (std::vector<std::int64_t>{0, 5}));
}

}  // namespace
}  // namespace loadgen::plan
