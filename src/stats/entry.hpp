// Entry: one (method, name) row of request statistics, Locust's StatsEntry (stats.py), with
// durations in microseconds. Used by a worker's Shard (deltas) and by the main thread's Aggregate.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "stats/histogram.hpp"

namespace loadgen::stats {

// Per-second counters keyed by Unix epoch second (Locust's num_reqs_per_sec dict). A small
// vector sorted by second: a shard holds one or two keys between takes, an aggregate a trimmed
// window of recent seconds. Adding to the newest second is O(1) and allocation-free once the
// capacity is there.
class PerSecondCounts {
 public:
  void add(std::int64_t sec, std::uint64_t n = 1) {
    if (counts_.empty() || counts_.back().first < sec) {
      counts_.emplace_back(sec, n);
    } else if (counts_.back().first == sec) {
      counts_.back().second += n;
    } else {
      add_slow(sec, n);
    }
  }
  void merge(const PerSecondCounts& other);
  std::uint64_t at(std::int64_t sec) const;  // 0 when absent
  void trim_before(std::int64_t sec);        // drops keys < sec
  bool empty() const { return counts_.empty(); }
  std::size_t size() const { return counts_.size(); }
  void clear() { counts_.clear(); }  // keeps capacity
  void reserve(std::size_t seconds) { counts_.reserve(seconds); }
  // f(sec, count) for each key, ascending.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [sec, n] : counts_) f(sec, n);
  }

 private:
  void add_slow(std::int64_t sec, std::uint64_t n);
  std::vector<std::pair<std::int64_t, std::uint64_t>> counts_;
};

// The bytes of a W3C trace id (the otel module's TraceId; stats sits above otel). All zero: none.
using TraceIdBytes = std::array<std::uint8_t, 16>;

// The trace of a recent slow request of an entry, so an operator can jump from a slow row to
// its trace (issue 11). Only sampled, exported requests have one.
struct SlowTrace {
  // A kept trace gives way to any newer one once it is this much older (wall seconds).
  static constexpr double kWindowS = 10;
  TraceIdBytes trace_id{};
  std::uint64_t response_time_us = 0;
  double at = 0;  // wall seconds when the request ended; 0 = none known

  bool known() const { return at != 0; }
  // Keeps the slower of the two, or `other` when ours is more than kWindowS older than it: the
  // result is the slowest traced request since at most ~kWindowS before the newest one.
  void merge(const SlowTrace& other);
};

struct Entry {  // one (method, name) row, Locust's StatsEntry
  std::string method, name;
  std::uint64_t num_requests = 0, num_failures = 0;
  std::uint64_t total_response_time_us = 0;
  std::uint64_t min_response_time_us = 0;  // valid when num_requests > 0
  std::uint64_t max_response_time_us = 0;
  std::uint64_t total_content_length = 0;
  double start_time = 0;              // wall seconds (epoch) of reset, or of the first sample if 0
  double last_request_timestamp = 0;  // wall seconds of the latest sample; 0 = none (Locust None)
  Histogram histogram;
  PerSecondCounts reqs_per_sec, fails_per_sec;
  SlowTrace slow_trace;  // loadgen's own; merged by SlowTrace::merge, cleared by reset

  // Every request, success or failure (Locust StatsEntry.log). Allocation-free in steady state.
  void log(std::uint64_t response_time_us, std::uint64_t content_length, double now);
  // Failures additionally (Locust StatsEntry.log_error).
  void log_error(double now);
  // Locust StatsEntry.extend: sums counters, histograms and per-second counts, min of start
  // times (0 = unset is ignored), max of last timestamps, exact min/max.
  void merge(const Entry& other);
  // Zeroes everything (keeping storage); start_time = now (0: taken from the next sample).
  void reset(double now);

  double avg_response_time_ms() const;
  double min_response_time_ms() const;  // 0 when no requests
  double max_response_time_ms() const;
  // Locust median_from_dict: the lower median (0-based rank (n-1)/2), clamped to [min, max].
  double median_response_time_ms() const;
  double percentile_ms(double q) const;  // Histogram::value_at_quantile, in ms
  double avg_content_length() const;     // 0 when no requests
  double fail_ratio() const;             // Locust: 1.0 when failures but no requests
};

}  // namespace loadgen::stats
