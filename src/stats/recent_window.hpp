// RecentWindow: the response times of about the last 10 seconds, for Locust's "current"
// percentiles (stats.py get_current_response_time_percentile, CURRENT_RESPONSE_TIME_PERCENTILE_
// WINDOW = 10). Locust keeps a copy of the cumulative response-times dict for each of the last
// 20 seconds (response_times_cache) and diffs the current one against the copy taken closest to
// t-10; we keep the differences between consecutive copies instead (sparse, so memory grows with
// the buckets a second touched, never with the run), and sum those newer than the chosen copy.
// Owned by the Aggregate (main thread); not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "stats/histogram.hpp"

namespace loadgen::stats {

class RecentWindow {
 public:
  static constexpr std::int64_t kWindowSeconds = 10;  // CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW
  static constexpr std::size_t kCacheSize = kWindowSeconds + 10;  // Locust's cache_size

  // Locust StatsEntry.reset: forgets everything, then caches the (empty) state at `now_wall`.
  void reset(double now_wall);
  // Locust StatsEntry.extend with the cache on: adds a merged delta's histogram; when the
  // entry's last request timestamp entered a new second (old_last -> new_last), the state
  // after this delta is cached under that second.
  void add(const Histogram& delta, double old_last, double new_last);

  // The response times since the cached state closest to int(now_wall) - 10 (Locust's order of
  // preference: t-10, t-11, t-9, ..., t-18, t-2); null when none of those seconds is cached.
  std::optional<Histogram> current(double now_wall) const;

  std::size_t cached_seconds() const { return slices_.size(); }

 private:
  // The response times between one cached state and the next (or, for pending_, since the
  // newest cached state): sparse (bucket index, count), ascending; exact min and max.
  struct Slice {
    std::int64_t second = 0;  // the cache key this slice ends at
    std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;
    std::uint64_t count = 0, min_us = 0, max_us = 0;
    void add(const Histogram& h);
    void add(const Slice& s);
  };
  void cache(std::int64_t second);
  std::optional<std::size_t> chosen_slice(std::int64_t t) const;
  static Histogram to_histogram(const Slice& s);

  std::deque<Slice> slices_;  // slices_[i].second ascending, at most kCacheSize
  Slice pending_;
};

}  // namespace loadgen::stats
