// Histogram: relative error against exact sorted samples, merge equivalence, exact min/max.
#include "stats/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace loadgen::stats {
namespace {

constexpr std::uint64_t kHourUs = 3'600'000'000ULL;

// The exact value with Histogram's rank rule: 0-based rank floor(q*n), clamped.
std::uint64_t exact_quantile(const std::vector<std::uint64_t>& sorted, double q) {
  const auto n = sorted.size();
  if (q >= 1.0) return sorted.back();
  auto k = static_cast<std::size_t>(std::floor(q * static_cast<double>(n)));
  return sorted[std::min(k, n - 1)];
}

void expect_within_one_percent(const std::vector<std::uint64_t>& samples) {
  Histogram h;
  for (auto v : samples) h.record(v);
  std::vector<std::uint64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(h.count(), sorted.size());
  EXPECT_EQ(h.min(), sorted.front());
  EXPECT_EQ(h.max(), sorted.back());
  for (int i = 0; i <= 1000; ++i) {
    const double q = i / 1000.0;
    const auto exact = static_cast<double>(exact_quantile(sorted, q));
    const auto got = static_cast<double>(h.value_at_quantile(q));
    if (exact < static_cast<double>(Histogram::kExactBelow)) {
      EXPECT_EQ(got, exact) << "q=" << q;
    } else {
      EXPECT_LE(std::abs(got - exact) / exact, 0.01) << "q=" << q << " exact=" << exact;
    }
  }
  for (double q : {0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999}) {
    const auto exact = static_cast<double>(exact_quantile(sorted, q));
    const auto got = static_cast<double>(h.value_at_quantile(q));
    EXPECT_LE(std::abs(got - exact), std::max(0.0, exact * 0.01)) << "q=" << q;
  }
}

TEST(Histogram, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.value_at_quantile(0.5), 0u);
  EXPECT_EQ(h.value_at_quantile(1.0), 0u);
}

TEST(Histogram, ExactBelow128) {
  Histogram h;
  for (std::uint64_t v = 0; v < 128; ++v) h.record(v);
  EXPECT_EQ(h.value_at_quantile(0.0), 0u);
  EXPECT_EQ(h.value_at_quantile(0.5), 64u);  // Locust rank: floor(0.5*128) = index 64
  EXPECT_EQ(h.value_at_quantile(1.0), 127u);
  std::uint64_t n = 0;
  h.for_each_bucket([&](std::uint64_t lo, std::uint64_t hi, std::uint64_t c) {
    EXPECT_EQ(hi, lo + 1);
    EXPECT_EQ(c, 1u);
    ++n;
  });
  EXPECT_EQ(n, 128u);
}

TEST(Histogram, BucketsTileTheRangeWithBoundedWidth) {
  std::uint64_t expected_lower = 0;
  for (std::size_t i = 0; i < Histogram::kBucketCount; ++i) {
    const auto lo = Histogram::bucket_lower(i);
    const auto w = Histogram::bucket_width(i);
    ASSERT_EQ(lo, expected_lower) << i;
    ASSERT_EQ(Histogram::bucket_index(lo), i);
    ASSERT_EQ(Histogram::bucket_index(lo + w - 1), i);
    if (lo >= Histogram::kExactBelow) {
      ASSERT_LE(static_cast<double>(w) / 2 / static_cast<double>(lo), 1.0 / 128);
    }
    expected_lower = lo + w;
  }
  EXPECT_GT(expected_lower, kHourUs);  // covers at least one hour
  EXPECT_EQ(Histogram::bucket_index(UINT64_MAX), Histogram::kBucketCount - 1);
}

TEST(Histogram, LogUniformOneMicrosecondToOneHour) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, std::log(static_cast<double>(kHourUs)));
  std::vector<std::uint64_t> s;
  for (int i = 0; i < 100'000; ++i) s.push_back(static_cast<std::uint64_t>(std::exp(u(rng))));
  expect_within_one_percent(s);
}

TEST(Histogram, LogNormalLatencies) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(std::log(20'000.0), 0.8);  // median 20 ms
  std::vector<std::uint64_t> s;
  for (int i = 0; i < 100'000; ++i) s.push_back(static_cast<std::uint64_t>(d(rng)));
  expect_within_one_percent(s);
}

TEST(Histogram, BimodalWithOutliers) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> fast(300.0, 40.0), slow(250'000.0, 30'000.0);
  std::uniform_int_distribution<std::uint64_t> outlier(1, kHourUs);
  std::vector<std::uint64_t> s;
  for (int i = 0; i < 50'000; ++i) {
    const int kind = i % 100;
    double v = kind < 80 ? fast(rng) : slow(rng);
    if (kind == 99) v = static_cast<double>(outlier(rng));
    s.push_back(static_cast<std::uint64_t>(std::max(1.0, v)));
  }
  expect_within_one_percent(s);
}

TEST(Histogram, UniformSmallAndConstant) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> d(1, 2000);
  std::vector<std::uint64_t> s;
  for (int i = 0; i < 20'000; ++i) s.push_back(d(rng));
  expect_within_one_percent(s);
  expect_within_one_percent(std::vector<std::uint64_t>(1000, 123'456));
  expect_within_one_percent(std::vector<std::uint64_t>{1});
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, std::log(static_cast<double>(kHourUs)));
  Histogram all, a, b, c;
  for (int i = 0; i < 30'000; ++i) {
    const auto v = static_cast<std::uint64_t>(std::exp(u(rng)));
    all.record(v);
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(v);
  }
  Histogram merged;
  merged.merge(a);
  merged.merge(Histogram{});
  merged.merge(b);
  merged.merge(c);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (int i = 0; i <= 100; ++i) {
    EXPECT_EQ(merged.value_at_quantile(i / 100.0), all.value_at_quantile(i / 100.0));
  }
  std::vector<std::uint64_t> x, y;
  merged.for_each_bucket([&](auto lo, auto, auto n) { x.push_back(lo * 1'000'003 + n); });
  all.for_each_bucket([&](auto lo, auto, auto n) { y.push_back(lo * 1'000'003 + n); });
  EXPECT_EQ(x, y);
}

TEST(Histogram, HugeValuesClampToTopBucketButMaxStaysExact) {
  Histogram h;
  h.record(10);
  h.record(UINT64_MAX / 2);
  EXPECT_EQ(h.max(), UINT64_MAX / 2);
  EXPECT_EQ(h.value_at_quantile(1.0), UINT64_MAX / 2);
  EXPECT_EQ(h.value_at_quantile(0.0), 10u);
}

TEST(Histogram, RecordWithCountAndReset) {
  Histogram h;
  h.record(1000, 3);
  h.record(5, 0);  // no-op
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.value_at_quantile(0.5), 1000u);  // midpoint clamped to [min, max]
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  h.record(7);
  EXPECT_EQ(h.min(), 7u);
  EXPECT_EQ(h.max(), 7u);
}

TEST(Histogram, ValueAtRank) {
  Histogram h;
  for (std::uint64_t v : {5u, 1u, 3u, 2u, 4u}) h.record(v);
  for (std::uint64_t r = 1; r <= 5; ++r) EXPECT_EQ(h.value_at_rank(r), r);
  EXPECT_EQ(h.value_at_rank(0), 1u);
  EXPECT_EQ(h.value_at_rank(99), 5u);
}

}  // namespace
}  // namespace loadgen::stats
