// The wall-clock offset behind wall_ns_at (core/clock.hpp): read again, it keeps the offset it
// holds unless the new one differs by a real step.
#include "core/clock.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

namespace loadgen::core {
namespace {

TEST(ClockAnchor, ANewReadingWithinTheNoiseKeepsTheOffset) {
  detail::ClockAnchor a;
  detail::read_anchor(a);
  const std::int64_t measured = a.offset;
  // Held 500 ns off what the clocks say: read again, the offset held stays (an offset that
  // moved by its measurement's error would put a request's span before its parent's).
  a.offset = measured + 500;
  detail::read_anchor(a);
  EXPECT_EQ(a.offset, measured + 500);
  a.offset = measured - 500;
  detail::read_anchor(a);
  EXPECT_EQ(a.offset, measured - 500);
}

TEST(ClockAnchor, ARealStepReplacesTheOffset) {
  detail::ClockAnchor a;
  detail::read_anchor(a);
  const std::int64_t measured = a.offset;
  a.offset = measured + 1'000'000;  // as if the wall clock was stepped 1 ms back since
  detail::read_anchor(a);
  EXPECT_LT(std::abs(a.offset - measured), 100'000);
}

TEST(ClockAnchor, SpanTimesOfOneThreadNeverGoBack) {
  std::int64_t last = span_wall_ns();
  for (int i = 0; i < 100'000; ++i) {
    if (i % 1'000 == 0) detail::read_anchor(detail::clock_anchor());  // offset read again
    const std::int64_t now = span_wall_ns();
    ASSERT_GE(now, last) << "at " << i;
    last = now;
  }
}

}  // namespace
}  // namespace loadgen::core
