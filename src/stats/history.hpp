// History: the run's time series for the web UI's charts and the HTML report (Locust keeps
// these in the browser; we keep them on the server so a page opened late, or the report,
// shows the whole run). Bounded: at most `capacity` points; when full, neighbouring points of
// the finest resolution merge pairwise, oldest first, until a quarter of the capacity is free,
// so the series keeps a near-uniform resolution over the whole run (12 hours at one point per
// second: about 3,300 points of 16 s or less). Readers ask for the points after a sequence
// number they already have (the page fetches deltas).
// Thread: add() on the driving thread; since()/all() from any thread (a mutex; never on the
// request path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace loadgen::stats {

struct HistoryPoint {
  double t = 0;       // wall seconds since the epoch (the sample's end)
  double span_s = 1;  // seconds this point covers (grows when points merge)
  std::int64_t users = 0;
  double rps = 0;         // requests/s over the point's span
  double fail_per_s = 0;  // failures/s over the point's span
  // Locust's current response-time percentiles (ms, over its recent window) at the sample;
  // negative: no request in the window.
  double p50_ms = -1;
  double p95_ms = -1;
  // loadgen's own: spans exported and dropped per second, and the busiest event loop's CPU
  // share (0..1) over the point's span.
  double spans_exported_per_s = 0;
  double spans_dropped_per_s = 0;
  double loop_cpu_max = 0;
};

class History {
 public:
  explicit History(std::size_t capacity = 4096);

  void add(const HistoryPoint& p);
  void clear();  // a stats reset or a new run

  struct Slice {
    // The sequence number to ask for next time (never 0).
    std::uint64_t next = 0;
    // True when the points before `since` changed (a downsampling or a clear happened after
    // it): the reader must replace what it has with `points`, which is then the whole series.
    bool replace = false;
    std::vector<HistoryPoint> points;
  };
  // The points a reader lacks that has every point before sequence number `since` (a `next`
  // it was given). 0, or a number this history never gave: every point, with replace = true.
  Slice since(std::uint64_t since) const;
  std::vector<HistoryPoint> all() const;

 private:
  struct Stored {
    HistoryPoint p;
    std::uint64_t weight = 1;  // samples merged into it (merges pair equal weights)
  };
  // mu_ held. Frees a quarter of the capacity, merging the lightest pairs first.
  void downsample();
  std::size_t merge_pairs(std::uint64_t weight, std::size_t budget);
  std::uint64_t lightest_above(std::uint64_t weight) const;
  void rewritten();

  mutable std::mutex mu_;
  std::size_t capacity_;
  std::vector<Stored> points_;      // oldest first; points_[i] has sequence number first_seq() + i
  std::uint64_t next_seq_ = 1;      // the sequence number of the next point added
  std::uint64_t rewritten_at_ = 0;  // points before this sequence number were rewritten
};

// `a` followed by `b` as one point covering both spans: rates and the loop's CPU share are
// averaged over the time each covers, percentiles too (an approximation: they do not merge
// exactly), users and `t` are `b`'s.
HistoryPoint merge_points(const HistoryPoint& a, const HistoryPoint& b);

}  // namespace loadgen::stats
