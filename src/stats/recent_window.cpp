// RecentWindow: Locust's response-times cache as differences (see recent_window.hpp).
#include "stats/recent_window.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen::stats {
namespace {

std::int64_t epoch_second(double wall) { return static_cast<std::int64_t>(std::floor(wall)); }

using Buckets = std::vector<std::pair<std::uint32_t, std::uint64_t>>;

// Adds b into a; both ascending by bucket index.
void merge_buckets(Buckets& a, const Buckets& b) {
  Buckets out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      out.emplace_back(a[i].first, a[i].second + b[j].second);
      ++i, ++j;
    }
  }
  a = std::move(out);
}

}  // namespace

void RecentWindow::Slice::add(const Slice& s) {
  if (s.count == 0) return;
  merge_buckets(buckets, s.buckets);
  min_us = count == 0 ? s.min_us : std::min(min_us, s.min_us);
  max_us = count == 0 ? s.max_us : std::max(max_us, s.max_us);
  count += s.count;
}

void RecentWindow::Slice::add(const Histogram& h) {
  if (h.empty()) return;
  Slice s;
  h.for_each_bucket([&](std::uint64_t lower, std::uint64_t, std::uint64_t n) {
    s.buckets.emplace_back(static_cast<std::uint32_t>(Histogram::bucket_index(lower)), n);
  });
  s.count = h.count();
  s.min_us = h.min();
  s.max_us = h.max();
  add(s);
}

void RecentWindow::reset(double now_wall) {
  slices_.clear();
  pending_ = Slice{};
  cache(epoch_second(now_wall));
}

void RecentWindow::add(const Histogram& delta, double old_last, double new_last) {
  pending_.add(delta);
  const std::int64_t old_sec = old_last != 0 ? epoch_second(old_last) : 0;
  if (new_last != 0 && epoch_second(new_last) > old_sec) cache(epoch_second(new_last));
}

void RecentWindow::cache(std::int64_t second) {
  if (!slices_.empty() && second <= slices_.back().second) {
    // Locust overwrites an existing key with the newer state (a key out of order, possible
    // right after a reset, counts as the newest).
    slices_.back().add(pending_);
  } else {
    pending_.second = second;
    slices_.push_back(std::move(pending_));
  }
  pending_ = Slice{};
  while (slices_.size() > kCacheSize) slices_.pop_front();
}

std::optional<std::size_t> RecentWindow::chosen_slice(std::int64_t t) const {
  const auto find = [&](std::int64_t sec) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < slices_.size(); ++i) {
      if (slices_[i].second == sec) return i;
    }
    return std::nullopt;
  };
  if (auto i = find(t - kWindowSeconds)) return i;
  for (std::int64_t d = 1; d <= 8; ++d) {
    if (auto i = find(t - kWindowSeconds - d)) return i;
    if (auto i = find(t - kWindowSeconds + d)) return i;
  }
  return std::nullopt;
}

std::optional<Histogram> RecentWindow::current(double now_wall) const {
  const auto chosen = chosen_slice(epoch_second(now_wall));
  if (!chosen) return std::nullopt;
  Slice sum;
  for (std::size_t i = *chosen + 1; i < slices_.size(); ++i) sum.add(slices_[i]);
  sum.add(pending_);
  return to_histogram(sum);
}

Histogram RecentWindow::to_histogram(const Slice& s) {
  // Each bucket's counts are recorded at a value inside it: the exact min for the lowest bucket
  // and the exact max for the highest, so the histogram's min and max stay exact.
  Histogram h;
  for (std::size_t i = 0; i < s.buckets.size(); ++i) {
    const auto [idx, n] = s.buckets[i];
    const bool first = i == 0, last = i + 1 == s.buckets.size();
    if (first && last) {
      h.record(s.min_us, n - 1);
      h.record(s.max_us, 1);
    } else if (first) {
      h.record(s.min_us, n);
    } else if (last) {
      h.record(s.max_us, n);
    } else {
      h.record(Histogram::bucket_lower(idx), n);
    }
  }
  return h;
}

}  // namespace loadgen::stats
