// Clocks: monotonic nanoseconds for latency, wall-clock seconds for Locust-style per-second counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace loadgen::core {

using Nanos = std::chrono::nanoseconds;

// Monotonic time in nanoseconds since an arbitrary epoch (CLOCK_MONOTONIC).
inline std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Wall-clock time as seconds since the Unix epoch (double, like Python's time.time()).
inline double wall_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall-clock nanoseconds since the Unix epoch.
inline std::int64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace detail {
// This thread's offset between the wall clock and the monotonic one, and when it was read.
struct ClockAnchor {
  std::int64_t anchor = 0;  // mono_ns() when the offset was read; 0: never
  std::int64_t offset = 0;  // wall minus monotonic
};
inline ClockAnchor& clock_anchor() {
  thread_local ClockAnchor a;
  return a;
}
// The wall reading between two monotonic ones, against their midpoint; a pair more than
// 5 us apart (the thread was preempted between them) is read again, up to 3 times.
// An offset within 1 us of the one held is that one measured again (the two clocks advance
// alike, slewing included): it is kept, so the times of one thread never move back by the
// measurement's own error when the offset is read again (a span's child before its parent).
inline void read_anchor(ClockAnchor& a) {
  std::int64_t anchor = 0;
  std::int64_t offset = 0;
  for (int tries = 0; tries < 3; ++tries) {
    const std::int64_t before = mono_ns();
    const std::int64_t wall = wall_ns();
    const std::int64_t after = mono_ns();
    anchor = before + (after - before) / 2;
    offset = wall - anchor;
    if (after - before <= 5'000) break;
  }
  constexpr std::int64_t kNoiseNs = 1'000;
  if (a.anchor == 0 || offset - a.offset >= kNoiseNs || a.offset - offset >= kNoiseNs)
    a.offset = offset;
  a.anchor = anchor;
}
}  // namespace detail

// The wall-clock time (ns since the Unix epoch) of `mono`, a mono_ns() reading of this
// thread's current moment: no second clock read per time stamp. The offset between the two
// clocks is read at most once a second per thread, so a step of the wall clock shows within a
// second (slewing moves both clocks alike).
inline std::int64_t wall_ns_at(std::int64_t mono) {
  constexpr std::int64_t kRefreshNs = 1'000'000'000;
  detail::ClockAnchor& a = detail::clock_anchor();
  if (a.anchor == 0 || mono - a.anchor >= kRefreshNs || mono < a.anchor) detail::read_anchor(a);
  return mono + a.offset;
}

// Now, on the time base of wall_ns_at: what span start and end times use, so that a span and
// the requests inside it (timed by wall_ns_at) are ordered as they happened.
inline std::int64_t span_wall_ns() { return wall_ns_at(mono_ns()); }

// The monotonic time of `wall`, a wall-clock time stamp of this thread's recent past (a
// kernel receive time stamp, SO_TIMESTAMPNS): the inverse of wall_ns_at with the offset its
// last call read (read now when it never ran on this thread). No clock read.
inline std::int64_t mono_ns_of_wall(std::int64_t wall) {
  detail::ClockAnchor& a = detail::clock_anchor();
  if (a.anchor == 0) detail::read_anchor(a);
  return wall - a.offset;
}

}  // namespace loadgen::core
