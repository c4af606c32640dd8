// Metric aggregators: Sum, LastValue, explicit and base2 exponential bucket histograms
// (metrics/sdk.md "Aggregation"; data-model.md "ExponentialHistogram").
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/random.hpp"
#include "otel/metrics/aggregators.hpp"
#include "otel/metrics/exponential_histogram.hpp"

namespace loadgen::otel::metrics {
namespace {

TEST(MetricsSum, RecordMergeReset) {
  SumAggregator<std::int64_t> a;
  SumAggregator<std::int64_t> b;
  EXPECT_TRUE(a.empty());
  a.record(3);
  a.record(4);
  b.record(-2);
  a.merge(b);
  EXPECT_EQ(a.value(), 5);
  NumberDataPoint p;
  a.fill(p);
  EXPECT_EQ(std::get<std::int64_t>(p.value), 5);
  a.reset();
  EXPECT_TRUE(a.empty());
  SumAggregator<double> d;
  d.record(0.5);
  d.record(0.0);  // a zero measurement still makes the series non-empty
  EXPECT_DOUBLE_EQ(d.value(), 0.5);
  EXPECT_FALSE(d.empty());
}

TEST(MetricsLastValue, LaterMeasurementWinsOnMerge) {
  LastValueAggregator<double> a;
  LastValueAggregator<double> b;
  a.record(1.0, 200);
  b.record(2.0, 100);
  a.merge(b);
  EXPECT_EQ(a.value(), 1.0);
  b.record(3.0, 300);
  a.merge(b);
  EXPECT_EQ(a.value(), 3.0);
  EXPECT_EQ(a.time_unix_nano(), 300u);
}

TEST(MetricsExplicitHistogram, CountsSumMinMax) {
  ExplicitHistogramAggregator h(make_explicit_config({0, 5, 10}));
  // Buckets (-inf,0] (0,5] (5,10] (10,+inf): upper bound inclusive.
  for (double v : {0.0, 3.0, 5.0, 7.0, 10.0, 11.0, 1e9}) h.record(v);
  EXPECT_EQ(h.record(std::nan("")), -1);  // dropped
  EXPECT_EQ(h.record(std::numeric_limits<double>::infinity()), -1);
  HistogramDataPoint p;
  h.fill(p);
  EXPECT_EQ(p.count, 7u);
  EXPECT_EQ(p.bucket_counts, (std::vector<std::uint64_t>{1, 2, 2, 2}));
  EXPECT_EQ(p.explicit_bounds, (std::vector<double>{0, 5, 10}));
  ASSERT_TRUE(p.sum);
  EXPECT_DOUBLE_EQ(*p.sum, 36.0 + 1e9);
  EXPECT_EQ(p.min, 0.0);
  EXPECT_EQ(p.max, 1e9);

  ExplicitHistogramAggregator other(make_explicit_config({0, 5, 10}));
  other.record(-1);
  h.merge(other);
  h.fill(p);
  EXPECT_EQ(p.count, 8u);
  EXPECT_EQ(p.bucket_counts[0], 2u);
  EXPECT_FALSE(p.sum);  // a negative measurement: OTLP sum only for non-negative values
  EXPECT_EQ(p.min, -1.0);

  h.reset();
  h.fill(p);
  EXPECT_EQ(p.count, 0u);
  EXPECT_EQ(p.bucket_counts, (std::vector<std::uint64_t>{0, 0, 0, 0}));
  EXPECT_FALSE(p.min);
}

TEST(MetricsExplicitHistogram, DefaultsAndNoMinMax) {
  ExplicitHistogramAggregator d;
  HistogramDataPoint p;
  d.record(7500);
  d.fill(p);
  EXPECT_EQ(p.explicit_bounds, default_explicit_bounds());
  EXPECT_EQ(p.bucket_counts.size(), 16u);
  EXPECT_EQ(p.bucket_counts[13], 1u);  // (5000, 7500]
  ExplicitHistogramAggregator h(make_explicit_config({1}, /*record_min_max=*/false));
  h.record(0.5);
  h.fill(p);
  EXPECT_FALSE(p.min);
  EXPECT_FALSE(p.max);
  EXPECT_EQ(p.sum, 0.5);
}

// ---- exponential ----

// Independent reference: 2^k lies in bucket ceil(k * 2^scale) - 1 (buckets are (b^i, b^(i+1)]).
std::int64_t power_of_two_index(int k, int scale) {
  return static_cast<std::int64_t>(std::ceil(std::ldexp(static_cast<double>(k), scale))) - 1;
}

TEST(MetricsExpoHistogram, PowersOfTwoAreExactAtEveryScale) {
  for (int scale = kExpoMinScale; scale <= kExpoMaxScale; ++scale) {
    for (int k : {-1074, -1073, -1022, -1021, -100, -3, -1, 0, 1, 2, 3, 7, 100, 1000, 1023}) {
      const double v = std::ldexp(1.0, k);
      EXPECT_EQ(map_to_index(v, scale), power_of_two_index(k, scale))
          << "2^" << k << " at scale " << scale;
    }
  }
  EXPECT_EQ(map_to_index(1.0, 0), -1);
  EXPECT_EQ(map_to_index(2.0, 0), 0);
  EXPECT_EQ(map_to_index(4.0, 0), 1);
  EXPECT_EQ(map_to_index(1.0, 3), -1);
  EXPECT_EQ(map_to_index(2.0, 3), 7);
  EXPECT_EQ(map_to_index(0.5, 20), -(1 << 20) - 1);
}

TEST(MetricsExpoHistogram, ValuesAroundBucketBoundaries) {
  // Scale 0: (2, 4] is bucket 1.
  EXPECT_EQ(map_to_index(std::nextafter(2.0, 3.0), 0), 1);
  EXPECT_EQ(map_to_index(3.0, 0), 1);
  EXPECT_EQ(map_to_index(4.0, 0), 1);
  EXPECT_EQ(map_to_index(std::nextafter(4.0, 5.0), 0), 2);
  // Scale -1: (4^i, 4^(i+1)]; scale -2: (16^i, 16^(i+1)].
  EXPECT_EQ(map_to_index(4.0, -1), 0);
  EXPECT_EQ(map_to_index(std::nextafter(4.0, 5.0), -1), 1);
  EXPECT_EQ(map_to_index(16.0, -2), 0);
  EXPECT_EQ(map_to_index(17.0, -2), 1);
  // Just above and below powers of two at positive scales.
  for (int scale = 1; scale <= 20; ++scale) {
    const std::int64_t top = power_of_two_index(1, scale);  // 2 is the top of bucket top
    EXPECT_EQ(map_to_index(std::nextafter(2.0, 3.0), scale), top + 1) << scale;
    EXPECT_EQ(map_to_index(std::nextafter(2.0, 1.0), scale), top) << scale;
  }
  // Every value lies within its bucket's boundaries (up to log2's last-bit rounding).
  core::Rng rng(7);
  for (int scale = -10; scale <= 20; scale += 3) {
    for (int n = 0; n < 2000; ++n) {
      const double v = std::ldexp(rng.uniform(0.5, 1.0), static_cast<int>(rng.below(200)) - 100);
      const std::int32_t i = map_to_index(v, scale);
      EXPECT_GT(v, lower_boundary(i, scale) * (1 - 1e-12)) << v << " scale " << scale;
      EXPECT_LE(v, lower_boundary(i + 1, scale) * (1 + 1e-12)) << v << " scale " << scale;
    }
  }
  // Subnormals and the extremes.
  EXPECT_EQ(map_to_index(std::numeric_limits<double>::denorm_min(), 0), -1075);
  EXPECT_EQ(map_to_index(std::numeric_limits<double>::max(), 0), 1023);
  EXPECT_EQ(map_to_index(std::numeric_limits<double>::max(), 20), (1024 << 20) - 1);
}

TEST(MetricsExpoHistogram, SingleValueUsesMaxScale) {
  ExponentialHistogramAggregator h;
  h.record(1.5);
  EXPECT_EQ(h.scale(), 20);
  EXPECT_EQ(h.positive().counts().size(), 1u);
  EXPECT_EQ(h.positive().start(), map_to_index(1.5, 20));
}

TEST(MetricsExpoHistogram, DownscalesWhenTheRangeExceedsMaxSize) {
  ExponentialHistogramAggregator h(make_exponential_config(4));
  for (double v : {1.0, 2.0, 4.0, 8.0}) h.record(v);
  // Scale 0 indexes -1, 0, 1, 2: four buckets fit.
  EXPECT_EQ(h.scale(), 0);
  EXPECT_EQ(h.positive().start(), -1);
  EXPECT_EQ(h.positive().counts(), (std::vector<std::uint64_t>{1, 1, 1, 1}));
  h.record(16.0);  // index 3: five buckets → scale -1, (4^i, 4^(i+1)]
  EXPECT_EQ(h.scale(), -1);
  EXPECT_EQ(h.positive().start(), -1);
  EXPECT_EQ(h.positive().counts(), (std::vector<std::uint64_t>{1, 2, 2}));
  EXPECT_EQ(h.count(), 5u);

  // The spec's table for 160 buckets: 1ms..1s → scale 4; 1ms..100s → scale 3.
  ExponentialHistogramAggregator d;
  d.record(0.001);
  d.record(1.0);
  EXPECT_EQ(d.scale(), 4);
  d.record(100.0);
  EXPECT_EQ(d.scale(), 3);
  EXPECT_LE(d.positive().counts().size(), 160u);
}

TEST(MetricsExpoHistogram, NegativeValuesAndZeros) {
  ExponentialHistogramAggregator h;
  for (double v : {-1.0, -2.0, 0.0, -0.0, 3.0}) h.record(v);
  h.record(std::nan(""));
  h.record(-std::numeric_limits<double>::infinity());
  ExponentialHistogramDataPoint p;
  h.fill(p);
  EXPECT_EQ(p.count, 5u);
  EXPECT_EQ(p.zero_count, 2u);
  EXPECT_EQ(p.zero_threshold, 0.0);
  EXPECT_EQ(h.negative().total(), 2u);
  EXPECT_EQ(h.positive().total(), 1u);
  EXPECT_FALSE(p.sum);
  EXPECT_EQ(p.min, -2.0);
  EXPECT_EQ(p.max, 3.0);
  // Negative values index by magnitude: -1 and -2 are 2^0 and 2^1.
  EXPECT_EQ(p.negative.offset, h.negative().start());
  EXPECT_EQ(p.negative.bucket_counts.front(), 1u);
  EXPECT_EQ(p.negative.bucket_counts.back(), 1u);
  EXPECT_EQ(map_to_index(1.0, p.scale), p.negative.offset);
}

void expect_same(const ExponentialHistogramAggregator& a, const ExponentialHistogramAggregator& b) {
  EXPECT_EQ(a.scale(), b.scale());
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(a.zero_count(), b.zero_count());
  EXPECT_EQ(a.positive().start(), b.positive().start());
  EXPECT_EQ(a.positive().counts(), b.positive().counts());
  EXPECT_EQ(a.negative().start(), b.negative().start());
  EXPECT_EQ(a.negative().counts(), b.negative().counts());
  EXPECT_NEAR(a.sum(), b.sum(), 1e-9 * std::fabs(b.sum()) + 1e-12);
  EXPECT_EQ(a.min(), b.min());
  EXPECT_EQ(a.max(), b.max());
}

TEST(MetricsExpoHistogram, MergeOfDifferentScalesEqualsRecordingEverything) {
  core::Rng rng(42);
  for (int round = 0; round < 20; ++round) {
    auto cfg = make_exponential_config(round % 2 == 0 ? 160 : 20);
    ExponentialHistogramAggregator narrow(cfg);
    ExponentialHistogramAggregator wide(cfg);
    ExponentialHistogramAggregator all(cfg);
    for (int n = 0; n < 50; ++n) {
      const double v = rng.uniform(1.0, 1.1);  // a narrow range: a high scale
      narrow.record(v);
      all.record(v);
    }
    for (int n = 0; n < 50; ++n) {
      double v = std::ldexp(rng.uniform(0.5, 1.0), static_cast<int>(rng.below(40)) - 20);
      if (n % 5 == 0) v = -v;
      if (n % 17 == 0) v = 0;
      wide.record(v);
      all.record(v);
    }
    ASSERT_GT(narrow.scale(), wide.scale());
    ExponentialHistogramAggregator m1(cfg);
    m1.merge(narrow);
    m1.merge(wide);
    expect_same(m1, all);
    ExponentialHistogramAggregator m2 = wide;
    m2.merge(narrow);
    expect_same(m2, all);
    ExponentialHistogramAggregator m3 = narrow;
    m3.merge(wide);
    expect_same(m3, all);
  }
}

TEST(MetricsExpoHistogram, MergeWithOnlyZerosKeepsTheScale) {
  ExponentialHistogramAggregator a;
  ExponentialHistogramAggregator zeros;
  a.record(1.5);
  zeros.record(0);
  a.merge(zeros);
  EXPECT_EQ(a.scale(), 20);
  EXPECT_EQ(a.zero_count(), 1u);
  EXPECT_EQ(a.count(), 2u);
}

TEST(MetricsExpoHistogram, CountIsConservedThroughScalingAndMerges) {
  core::Rng rng(3);
  auto cfg = make_exponential_config(8);
  ExponentialHistogramAggregator total(cfg);
  std::uint64_t recorded = 0;
  for (int part = 0; part < 10; ++part) {
    ExponentialHistogramAggregator h(cfg);
    for (int n = 0; n < 1000; ++n) {
      const double mag = std::ldexp(rng.uniform(0.5, 1.0), static_cast<int>(rng.below(600)) - 300);
      const double v = rng.below(3) == 0 ? -mag : (rng.below(50) == 0 ? 0.0 : mag);
      h.record(v);
      ++recorded;
    }
    EXPECT_LE(h.positive().counts().size(), 8u);
    EXPECT_LE(h.negative().counts().size(), 8u);
    EXPECT_EQ(h.positive().total() + h.negative().total() + h.zero_count(), h.count());
    total.merge(h);
  }
  EXPECT_EQ(total.count(), recorded);
  EXPECT_EQ(total.positive().total() + total.negative().total() + total.zero_count(), recorded);
  total.reset();
  EXPECT_EQ(total.scale(), 20);
  EXPECT_TRUE(total.empty());
  EXPECT_TRUE(total.positive().empty());
}

TEST(MetricsExpoHistogram, ExtremeRangeFitsAtTheMinimumScale) {
  ExponentialHistogramAggregator h(make_exponential_config(4));
  h.record(std::numeric_limits<double>::denorm_min());
  h.record(std::numeric_limits<double>::max());
  h.record(1.0);
  EXPECT_GE(h.scale(), kExpoMinScale);
  EXPECT_EQ(h.positive().total(), 3u);
  EXPECT_LE(h.positive().counts().size(), 4u);
}

}  // namespace
}  // namespace loadgen::otel::metrics
