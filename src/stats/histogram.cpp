// Histogram merge and quantile queries (see histogram.hpp for the bucket scheme).
#include "stats/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen::stats {

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
}

void Histogram::reset() {
  counts_.clear();  // keeps capacity: record() resizes within it
  count_ = 0;
  min_ = 0;
  max_ = 0;
}

std::uint64_t Histogram::value_at_quantile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0.0)) return min_;  // also NaN
  if (q >= 1.0) return max_;
  const double k = std::floor(q * static_cast<double>(count_));
  const auto rank = static_cast<std::uint64_t>(k) + 1;
  return value_at_rank(rank);
}

std::uint64_t Histogram::value_at_rank(std::uint64_t rank) const {
  if (count_ == 0) return 0;
  if (rank <= 1) return min_;
  if (rank >= count_) return max_;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_lower(i) + bucket_width(i) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;  // unreachable while counts_ sums to count_
}

}  // namespace loadgen::stats
