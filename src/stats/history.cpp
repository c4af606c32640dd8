#include "stats/history.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace loadgen::stats {

namespace {

// The span-weighted mean of two values; a negative value means "none" and has no weight.
double weighted(double a, double wa, double b, double wb, bool negative_is_none) {
  if (negative_is_none) {
    if (a < 0) return b;
    if (b < 0) return a;
  }
  const double w = wa + wb;
  return w > 0 ? (a * wa + b * wb) / w : b;
}

}  // namespace

HistoryPoint merge_points(const HistoryPoint& a, const HistoryPoint& b) {
  const double wa = a.span_s, wb = b.span_s;
  HistoryPoint m = b;
  m.span_s = wa + wb;
  m.rps = weighted(a.rps, wa, b.rps, wb, false);
  m.fail_per_s = weighted(a.fail_per_s, wa, b.fail_per_s, wb, false);
  m.p50_ms = weighted(a.p50_ms, wa, b.p50_ms, wb, true);
  m.p95_ms = weighted(a.p95_ms, wa, b.p95_ms, wb, true);
  m.spans_exported_per_s = weighted(a.spans_exported_per_s, wa, b.spans_exported_per_s, wb, false);
  m.spans_dropped_per_s = weighted(a.spans_dropped_per_s, wa, b.spans_dropped_per_s, wb, false);
  m.loop_cpu_max = weighted(a.loop_cpu_max, wa, b.loop_cpu_max, wb, false);
  return m;
}

History::History(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 4)) {
  points_.reserve(capacity_);
}

void History::add(const HistoryPoint& p) {
  std::lock_guard lock(mu_);
  if (points_.size() >= capacity_) downsample();
  points_.push_back(Stored{p, 1});
  ++next_seq_;
}

void History::clear() {
  std::lock_guard lock(mu_);
  points_.clear();
  rewritten();
}

void History::rewritten() {
  // Skips a sequence number so that every `next` handed out before is below rewritten_at_.
  ++next_seq_;
  rewritten_at_ = next_seq_;
}

std::uint64_t History::lightest_above(std::uint64_t weight) const {
  std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
  for (const Stored& s : points_) {
    if (s.weight > weight) best = std::min(best, s.weight);
  }
  return best == std::numeric_limits<std::uint64_t>::max() ? 0 : best;
}

std::size_t History::merge_pairs(std::uint64_t weight, std::size_t budget) {
  std::size_t merged = 0, w = 0;
  for (std::size_t r = 0; r < points_.size(); ++w) {
    const bool pair = merged < budget && r + 1 < points_.size() && points_[r].weight == weight &&
                      points_[r + 1].weight == weight;
    if (pair) {
      points_[w] = Stored{merge_points(points_[r].p, points_[r + 1].p), 2 * weight};
      r += 2;
      ++merged;
    } else {
      points_[w] = points_[r];
      ++r;
    }
  }
  points_.resize(w);
  return merged;
}

void History::downsample() {
  const std::size_t target = capacity_ / 4;
  std::size_t freed = 0;
  std::uint64_t level = 0;
  while (freed < target) {
    level = lightest_above(level);
    if (level == 0) {
      // No two neighbours of equal weight are left: merge the oldest two.
      assert(points_.size() >= 2);
      points_[1] =
          Stored{merge_points(points_[0].p, points_[1].p), points_[0].weight + points_[1].weight};
      points_.erase(points_.begin());
      ++freed;
      continue;
    }
    freed += merge_pairs(level, target - freed);
  }
  rewritten();
}

History::Slice History::since(std::uint64_t since) const {
  std::lock_guard lock(mu_);
  Slice out;
  out.next = next_seq_;
  const std::uint64_t first = next_seq_ - points_.size();
  std::size_t from = 0;
  if (since == 0 || since < rewritten_at_ || since > next_seq_) {
    out.replace = true;
  } else {
    from = static_cast<std::size_t>(std::max(since, first) - first);
  }
  out.points.reserve(points_.size() - from);
  for (std::size_t i = from; i < points_.size(); ++i) out.points.push_back(points_[i].p);
  return out;
}

std::vector<HistoryPoint> History::all() const { return since(0).points; }

}  // namespace loadgen::stats
