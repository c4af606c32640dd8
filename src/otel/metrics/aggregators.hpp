// Aggregators for one metric series (metrics/sdk.md "Aggregation"): Sum, LastValue and
// ExplicitBucketHistogram; Base2ExponentialHistogram is in exponential_histogram.hpp. Each has
// record (hot path: no allocation, no locks; one owner thread), merge (adds a delta recorded
// elsewhere), reset (after a delta is taken) and fill (writes an OTLP point's value fields).
//
// Every aggregator type A provides, for series_storage.hpp and metric_stream.hpp:
//   A::Value, A::Config (shared, immutable), A::Reservoir, A::Point (metric_data.hpp point),
//   A(std::shared_ptr<const Config>), record(Value[, time]), merge(const A&), reset(), empty(),
//   fill(Point&), default_config(), make_reservoir(const Config&, bool exemplars_enabled),
//   offer(Reservoir&, Value, ctx, rng), make_data(points, temporality, monotonic) → Metric data.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "otel/metric_data.hpp"
#include "otel/metrics/exemplar.hpp"

namespace loadgen::otel::metrics {

// ---- Sum (Counter, UpDownCounter, ObservableCounter/UpDownCounter): arithmetic sum ----
template <class T>
class SumAggregator {
 public:
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>);
  using Value = T;
  struct Config {};
  using Reservoir = FixedSizeExemplarReservoir;
  using Point = NumberDataPoint;
  static constexpr bool kRecordsTime = false;

  explicit SumAggregator(std::shared_ptr<const Config> = nullptr) {}
  static std::shared_ptr<const Config> default_config() { return std::make_shared<Config>(); }
  void record(T v) {
    value_ += v;
    ++count_;
  }
  void merge(const SumAggregator& d) {
    value_ += d.value_;
    count_ += d.count_;
  }
  void reset() {
    value_ = T{};
    count_ = 0;
  }
  bool empty() const { return count_ == 0; }
  T value() const { return value_; }
  void fill(NumberDataPoint& p) const { p.value = value_; }

  static Reservoir make_reservoir(const Config&, bool enabled) {
    return Reservoir(enabled ? 1 : 0);
  }
  static void offer(Reservoir& r, T v, const MeasurementContext& ctx, core::Rng& rng) {
    r.offer(NumberValue{v}, ctx, rng);
  }
  static auto make_data(std::vector<Point> points, AggregationTemporality t, bool monotonic) {
    return Sum{std::move(points), t, monotonic};
  }

 private:
  T value_{};
  std::uint64_t count_ = 0;  // measurements: an empty delta is not exported
};

// ---- LastValue (Gauge, ObservableGauge): the last measurement and its time ----
template <class T>
class LastValueAggregator {
 public:
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>);
  using Value = T;
  struct Config {};
  using Reservoir = FixedSizeExemplarReservoir;
  using Point = NumberDataPoint;
  static constexpr bool kRecordsTime = true;

  explicit LastValueAggregator(std::shared_ptr<const Config> = nullptr) {}
  static std::shared_ptr<const Config> default_config() { return std::make_shared<Config>(); }
  void record(T v, std::uint64_t time_unix_nano = 0) {
    value_ = v;
    time_ = time_unix_nano;
    has_ = true;
  }
  // The later measurement wins (ties: the delta, i.e. the one merged last).
  void merge(const LastValueAggregator& d) {
    if (d.has_ && (!has_ || d.time_ >= time_)) *this = d;
  }
  void reset() { has_ = false; }
  bool empty() const { return !has_; }
  T value() const { return value_; }
  std::uint64_t time_unix_nano() const { return time_; }
  void fill(NumberDataPoint& p) const { p.value = value_; }

  static Reservoir make_reservoir(const Config&, bool enabled) {
    return Reservoir(enabled ? 1 : 0);
  }
  static void offer(Reservoir& r, T v, const MeasurementContext& ctx, core::Rng& rng) {
    r.offer(NumberValue{v}, ctx, rng);
  }
  static auto make_data(std::vector<Point> points, AggregationTemporality, bool) {
    return Gauge{std::move(points)};
  }

 private:
  T value_{};
  std::uint64_t time_ = 0;
  bool has_ = false;
};

// ---- Explicit bucket histogram ----
// sdk.md defaults: bounds [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500,
// 10000] (unless the instrument advises others), RecordMinMax true.
struct ExplicitHistogramConfig {
  std::shared_ptr<const std::vector<double>> bounds;  // strictly increasing
  bool record_min_max = true;
};
std::vector<double> default_explicit_bounds();
// semantic conventions: http.client.request.duration's advisory buckets (seconds).
std::vector<double> http_duration_bounds();
std::shared_ptr<const ExplicitHistogramConfig> make_explicit_config(std::vector<double> bounds,
                                                                    bool record_min_max = true);

class ExplicitHistogramAggregator {
 public:
  using Value = double;
  using Config = ExplicitHistogramConfig;
  using Reservoir = AlignedHistogramBucketExemplarReservoir;
  using Point = HistogramDataPoint;
  static constexpr bool kRecordsTime = false;

  explicit ExplicitHistogramAggregator(std::shared_ptr<const Config> cfg = nullptr);
  static std::shared_ptr<const Config> default_config() {
    return make_explicit_config(default_explicit_bounds());
  }

  // Bucket i covers (bounds[i-1], bounds[i]]: the first bound >= v. NaN and ±inf are dropped
  // (they have no bucket that keeps sum, min and max meaningful). Returns the bucket, or -1.
  std::ptrdiff_t record(double v) {
    if (!std::isfinite(v)) return -1;
    const auto& b = *cfg_->bounds;
    // Linear scan: the bounds are few (15 by default) and latencies mostly land low.
    std::size_t i = 0;
    while (i < b.size() && b[i] < v) ++i;
    ++counts_[i];
    ++count_;
    sum_ += v;
    negative_ |= v < 0;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
    return static_cast<std::ptrdiff_t>(i);
  }
  void merge(const ExplicitHistogramAggregator& d);
  void reset();
  bool empty() const { return count_ == 0; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return min_; }
  double max() const { return max_; }
  const std::vector<std::uint64_t>& bucket_counts() const { return counts_; }
  // count, bucket_counts, explicit_bounds; sum unless a negative value was recorded (OTLP: sum
  // only for non-negative measurements); min/max when configured and count > 0.
  void fill(HistogramDataPoint& p) const;

  static Reservoir make_reservoir(const Config& c, bool enabled) {
    return Reservoir(c.bounds, enabled);
  }
  static void offer(Reservoir& r, double v, const MeasurementContext& ctx, core::Rng& rng) {
    r.offer(v, ctx, rng);
  }
  static auto make_data(std::vector<Point> points, AggregationTemporality t, bool) {
    return Histogram{std::move(points), t};
  }

 private:
  std::shared_ptr<const Config> cfg_;
  std::vector<std::uint64_t> counts_;  // bounds + 1
  std::uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  bool negative_ = false;
};

}  // namespace loadgen::otel::metrics
