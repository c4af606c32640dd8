// Tests for net/ring_deque: LIFO at the back and FIFO drops at the front across the array's
// wrap-around and growth, elements released when popped, and no reallocation once grown.
#include "net/ring_deque.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>

namespace loadgen::net {
namespace {

TEST(RingDeque, BackIsTheNewestAndFrontTheOldestAcrossWrapAroundAndGrowth) {
  RingDeque<int> r;
  std::deque<int> model;  // the semantics the ring must keep
  int next = 0;
  // Pushes outpace pops, so the ring wraps around and grows several times with its head
  // anywhere in the array.
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 3; ++k) {
      r.push_back(next);
      model.push_back(next++);
    }
    if (round % 3 != 2) {
      r.pop_front();
      model.pop_front();
    }
    if (round % 5 == 4) {
      r.pop_back();
      model.pop_back();
    }
    ASSERT_EQ(r.size(), model.size());
    ASSERT_EQ(r.front(), model.front());
    ASSERT_EQ(r.back(), model.back());
  }
  while (!model.empty()) {  // LIFO from the back, down to the oldest
    ASSERT_EQ(r.back(), model.back());
    r.pop_back();
    model.pop_back();
  }
  EXPECT_TRUE(r.empty());
}

TEST(RingDeque, APoppedElementIsReleasedAtOnce) {
  RingDeque<std::shared_ptr<int>> r;
  auto a = std::make_shared<int>(1), b = std::make_shared<int>(2);
  r.push_back(a);
  r.push_back(b);
  r.pop_front();
  EXPECT_EQ(a.use_count(), 1);
  r.pop_back();
  EXPECT_EQ(b.use_count(), 1);
  r.push_back(a);
  r.clear();
  EXPECT_EQ(a.use_count(), 1);
}

TEST(RingDeque, NoReallocationOnceGrown) {
  RingDeque<int> r;
  for (int i = 0; i < 100; ++i) r.push_back(i);
  const std::size_t cap = r.capacity();
  const int* slot = &r.front();
  r.clear();
  // Any mix of pushes and pops up to the size seen keeps the array.
  for (int round = 0; round < 1000; ++round) {
    while (r.size() < 100) r.push_back(round);
    for (int k = 0; k < 7; ++k) r.pop_front();
    for (int k = 0; k < 5; ++k) r.pop_back();
  }
  EXPECT_EQ(r.capacity(), cap);
  r.clear();
  r.push_back(1);
  EXPECT_EQ(&r.front(), slot);  // the same array
}

}  // namespace
}  // namespace loadgen::net
