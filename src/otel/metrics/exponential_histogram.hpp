// Base2 exponential bucket histogram aggregation (metrics/sdk.md "Base2 Exponential Bucket
// Histogram Aggregation"; data-model.md "ExponentialHistogram"): base = 2^(2^-scale), bucket
// index i covers (base^i, base^(i+1)]. Starts at MaxScale and lowers the scale only as far as
// needed to keep each of the positive and negative ranges within MaxSize buckets; merging
// histograms of different scales lowers to the smaller scale and further if the union needs it.
// Bucket storage is reserved to MaxSize on first use: record does not allocate afterwards.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "otel/metric_data.hpp"
#include "otel/metrics/exemplar.hpp"

namespace loadgen::otel::metrics {

inline constexpr std::int32_t kExpoMinScale = -10;  // every finite double fits in 3 buckets
inline constexpr std::int32_t kExpoMaxScale = 20;

struct ExponentialHistogramConfig {
  std::uint32_t max_size = 160;  // MaxSize: per range, zero bucket not counted (>= 4 used)
  std::int32_t max_scale = 20;   // MaxScale, in [kExpoMinScale, kExpoMaxScale]
  bool record_min_max = true;
};
std::shared_ptr<const ExponentialHistogramConfig> make_exponential_config(
    std::uint32_t max_size = 160, std::int32_t max_scale = 20, bool record_min_max = true);

// The bucket index of a positive finite value at scale (data-model.md "Exponential Buckets"):
// exact for powers of two at every scale (2^k is the inclusive upper bound of bucket
// k * 2^scale - 1). scale <= 0: from the binary exponent alone (frexp; subnormals included);
// scale > 0: exponent * 2^scale + ceil(log2(significand) * 2^scale) - 1, the significand in
// (1, 2), so the logarithm only resolves the position within one power of two.
std::int32_t map_to_index(double value, std::int32_t scale);
// The lower boundary base^index (exact when index * 2^-scale is an integer).
double lower_boundary(std::int32_t index, std::int32_t scale);

// One range (positive or negative) of bucket counts: counts[k] counts index start + k.
class ExponentialBucketRange {
 public:
  bool empty() const { return counts_.empty(); }
  std::int32_t start() const { return start_; }
  std::int32_t end() const { return start_ + static_cast<std::int32_t>(counts_.size()) - 1; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  std::uint64_t total() const;

  void reserve(std::size_t n) { counts_.reserve(n); }
  void clear() { counts_.clear(); }  // keeps capacity
  // Adds n at index; the caller ensured the range then fits.
  void add(std::int32_t index, std::uint64_t n);
  // Halves the resolution `by` times: index i → i >> by.
  void downscale(std::int32_t by);

 private:
  std::int32_t start_ = 0;
  std::vector<std::uint64_t> counts_;
};

class ExponentialHistogramAggregator {
 public:
  using Value = double;
  using Config = ExponentialHistogramConfig;
  using Reservoir = FixedSizeExemplarReservoir;
  using Point = ExponentialHistogramDataPoint;
  static constexpr bool kRecordsTime = false;

  explicit ExponentialHistogramAggregator(std::shared_ptr<const Config> cfg = nullptr);
  static std::shared_ptr<const Config> default_config() { return make_exponential_config(); }

  // NaN and ±inf are dropped (sdk.md: they map to no bucket and must not enter sum/min/max).
  // Zero (|v| <= zero_threshold, which is 0) counts in zero_count.
  void record(double v);
  void merge(const ExponentialHistogramAggregator& d);
  void reset();  // back to MaxScale, empty (keeps the reserved storage)
  bool empty() const { return count_ == 0; }

  std::int32_t scale() const { return scale_; }
  std::uint64_t count() const { return count_; }
  std::uint64_t zero_count() const { return zero_count_; }
  double sum() const { return sum_; }
  double min() const { return min_; }
  double max() const { return max_; }
  const ExponentialBucketRange& positive() const { return positive_; }
  const ExponentialBucketRange& negative() const { return negative_; }
  void fill(ExponentialHistogramDataPoint& p) const;

  // sdk.md "Exemplar defaults": SimpleFixedSize with min(20, MaxSize) slots.
  static Reservoir make_reservoir(const Config& c, bool enabled) {
    return Reservoir(enabled ? (c.max_size < 20 ? c.max_size : 20) : 0);
  }
  static void offer(Reservoir& r, double v, const MeasurementContext& ctx, core::Rng& rng) {
    r.offer(NumberValue{v}, ctx, rng);
  }
  static auto make_data(std::vector<Point> points, AggregationTemporality t, bool) {
    return ExponentialHistogram{std::move(points), t};
  }

 private:
  std::int32_t max_size() const;
  // How many halvings make [low, high] at the current scale fit in max_size buckets.
  std::int32_t scale_change(std::int64_t low, std::int64_t high) const;
  void downscale(std::int32_t by);

  std::shared_ptr<const Config> cfg_;
  std::int32_t scale_;
  ExponentialBucketRange positive_;
  ExponentialBucketRange negative_;
  std::uint64_t count_ = 0;
  std::uint64_t zero_count_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  bool negative_seen_ = false;
};

}  // namespace loadgen::otel::metrics
