// Base2 exponential bucket histogram: mapping, scale reduction, merge.
#include "otel/metrics/exponential_histogram.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace loadgen::otel::metrics {

std::shared_ptr<const ExponentialHistogramConfig> make_exponential_config(std::uint32_t max_size,
                                                                          std::int32_t max_scale,
                                                                          bool record_min_max) {
  auto c = std::make_shared<ExponentialHistogramConfig>();
  c->max_size = max_size;
  c->max_scale = std::clamp(max_scale, kExpoMinScale, kExpoMaxScale);
  c->record_min_max = record_min_max;
  return c;
}

std::int32_t map_to_index(double value, std::int32_t scale) {
  assert(value > 0 && std::isfinite(value));
  int exp = 0;
  const double frac = std::frexp(value, &exp);  // value = frac * 2^exp, frac in [0.5, 1)
  // value = m * 2^e with m = 2 * frac in [1, 2), e = exp - 1; m == 1 exactly for 2^e.
  const std::int64_t e = exp - 1;
  const bool power_of_two = frac == 0.5;
  if (scale <= 0) {
    // Scale 0: (2^e, 2^(e+1)] is bucket e, and 2^e itself is the top of bucket e - 1.
    const std::int64_t index0 = power_of_two ? e - 1 : e;
    return static_cast<std::int32_t>(index0 >> -scale);  // arithmetic shift = floor division
  }
  const std::int64_t per_octave = std::int64_t{1} << scale;
  if (power_of_two) return static_cast<std::int32_t>(e * per_octave - 1);
  // log2(m) in (0, 1): the bucket within the octave. The product is at most 2^scale, so the
  // index stays within the octave even when log2 rounds up to 1.
  const double pos = std::ceil(std::ldexp(std::log2(2 * frac), scale));
  return static_cast<std::int32_t>(e * per_octave + static_cast<std::int64_t>(pos) - 1);
}

double lower_boundary(std::int32_t index, std::int32_t scale) {
  if (scale <= 0) return std::ldexp(1.0, index * (1 << -scale));
  const std::int32_t octave = index >> scale;  // floor
  const std::int32_t within = index - octave * (1 << scale);
  return std::ldexp(std::exp2(std::ldexp(static_cast<double>(within), -scale)), octave);
}

// ---- ExponentialBucketRange ----

std::uint64_t ExponentialBucketRange::total() const {
  std::uint64_t n = 0;
  for (auto c : counts_) n += c;
  return n;
}

void ExponentialBucketRange::add(std::int32_t index, std::uint64_t n) {
  if (counts_.empty()) {
    start_ = index;
    counts_.push_back(n);
    return;
  }
  if (index < start_) {
    counts_.insert(counts_.begin(), static_cast<std::size_t>(start_ - index), 0);
    start_ = index;
  } else if (index > end()) {
    counts_.resize(static_cast<std::size_t>(index - start_) + 1, 0);
  }
  counts_[static_cast<std::size_t>(index - start_)] += n;
}

void ExponentialBucketRange::downscale(std::int32_t by) {
  if (by <= 0 || counts_.empty()) return;
  const std::int32_t old_end = end();
  const std::int32_t new_start = start_ >> by;
  // In place: the new position of old position k is <= k.
  for (std::size_t k = 0; k < counts_.size(); ++k) {
    const auto j =
        static_cast<std::size_t>(((start_ + static_cast<std::int32_t>(k)) >> by) - new_start);
    if (j != k) {
      counts_[j] += counts_[k];
      counts_[k] = 0;
    }
  }
  counts_.resize(static_cast<std::size_t>((old_end >> by) - new_start) + 1);
  start_ = new_start;
}

// ---- ExponentialHistogramAggregator ----

ExponentialHistogramAggregator::ExponentialHistogramAggregator(std::shared_ptr<const Config> cfg)
    : cfg_(cfg ? std::move(cfg) : make_exponential_config()), scale_(cfg_->max_scale) {}

std::int32_t ExponentialHistogramAggregator::max_size() const {
  // At the minimum scale every finite double maps to one of indexes -2..0 (plus one for the
  // subnormal edge): 4 buckets always fit, so scale reduction always terminates.
  return static_cast<std::int32_t>(std::max<std::uint32_t>(cfg_->max_size, 4));
}

std::int32_t ExponentialHistogramAggregator::scale_change(std::int64_t low,
                                                          std::int64_t high) const {
  std::int32_t change = 0;
  while (high - low + 1 > max_size()) {
    low >>= 1;
    high >>= 1;
    ++change;
  }
  return change;
}

void ExponentialHistogramAggregator::downscale(std::int32_t by) {
  if (by <= 0) return;
  positive_.downscale(by);
  negative_.downscale(by);
  scale_ -= by;
  assert(scale_ >= kExpoMinScale);
}

void ExponentialHistogramAggregator::record(double v) {
  if (!std::isfinite(v)) return;
  ++count_;
  sum_ += v;
  if (v < min_) min_ = v;
  if (v > max_) max_ = v;
  if (v < 0) negative_seen_ = true;
  if (v == 0) {  // zero_threshold is 0
    ++zero_count_;
    return;
  }
  ExponentialBucketRange& range = v > 0 ? positive_ : negative_;
  std::int32_t index = map_to_index(std::fabs(v), scale_);
  if (range.empty()) {
    range.reserve(static_cast<std::size_t>(max_size()));  // once: clear() keeps the capacity
  } else {
    const std::int64_t low = std::min(range.start(), index);
    const std::int64_t high = std::max(range.end(), index);
    if (high - low + 1 > max_size()) {
      const std::int32_t change = scale_change(low, high);
      downscale(change);
      index >>= change;
    }
  }
  range.add(index, 1);
}

void ExponentialHistogramAggregator::merge(const ExponentialHistogramAggregator& d) {
  if (d.count_ == 0) return;
  count_ += d.count_;
  zero_count_ += d.zero_count_;
  sum_ += d.sum_;
  min_ = std::min(min_, d.min_);
  max_ = std::max(max_, d.max_);
  negative_seen_ |= d.negative_seen_;
  if (d.positive_.empty() && d.negative_.empty()) return;  // its scale carries no information
  const bool mine_empty = positive_.empty() && negative_.empty();
  // The common scale: the smaller one, lowered further while either range of the union is
  // wider than MaxSize.
  const std::int32_t target =
      mine_empty ? std::min(d.scale_, cfg_->max_scale) : std::min(scale_, d.scale_);
  std::int32_t change = 0;
  auto widen = [&](const ExponentialBucketRange& a, std::int32_t a_scale,
                   const ExponentialBucketRange& b, std::int32_t b_scale) {
    std::int64_t low = std::numeric_limits<std::int64_t>::max();
    std::int64_t high = std::numeric_limits<std::int64_t>::min();
    if (!a.empty()) {
      low = std::min<std::int64_t>(low, a.start() >> (a_scale - target));
      high = std::max<std::int64_t>(high, a.end() >> (a_scale - target));
    }
    if (!b.empty()) {
      low = std::min<std::int64_t>(low, b.start() >> (b_scale - target));
      high = std::max<std::int64_t>(high, b.end() >> (b_scale - target));
    }
    if (low <= high) change = std::max(change, scale_change(low, high));
  };
  widen(positive_, scale_, d.positive_, d.scale_);
  widen(negative_, scale_, d.negative_, d.scale_);
  const std::int32_t final_scale = target - change;
  if (mine_empty) {
    scale_ = final_scale;
  } else {
    downscale(scale_ - final_scale);
  }
  const std::int32_t shift = d.scale_ - final_scale;
  auto add_all = [&](ExponentialBucketRange& into, const ExponentialBucketRange& from) {
    if (from.empty()) return;
    if (into.empty()) into.reserve(static_cast<std::size_t>(max_size()));
    const auto& c = from.counts();
    for (std::size_t k = 0; k < c.size(); ++k) {
      if (c[k] != 0) into.add((from.start() + static_cast<std::int32_t>(k)) >> shift, c[k]);
    }
  };
  add_all(positive_, d.positive_);
  add_all(negative_, d.negative_);
}

void ExponentialHistogramAggregator::reset() {
  scale_ = cfg_->max_scale;
  positive_.clear();
  negative_.clear();
  count_ = 0;
  zero_count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
  negative_seen_ = false;
}

void ExponentialHistogramAggregator::fill(ExponentialHistogramDataPoint& p) const {
  p.count = count_;
  p.scale = scale_;
  p.zero_count = zero_count_;
  p.zero_threshold = 0;
  p.positive.offset = positive_.empty() ? 0 : positive_.start();
  p.positive.bucket_counts = positive_.counts();
  p.negative.offset = negative_.empty() ? 0 : negative_.start();
  p.negative.bucket_counts = negative_.counts();
  p.sum = negative_seen_ ? std::nullopt : std::optional<double>(sum_);
  if (cfg_->record_min_max && count_ > 0) {
    p.min = min_;
    p.max = max_;
  } else {
    p.min.reset();
    p.max.reset();
  }
}

}  // namespace loadgen::otel::metrics
