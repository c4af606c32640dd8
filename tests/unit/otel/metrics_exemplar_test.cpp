// ExemplarFilter and the two built-in reservoirs (metrics/sdk.md "Exemplar").
#include <gtest/gtest.h>

#include <set>

#include "otel/metrics/aggregators.hpp"
#include "otel/metrics/exemplar.hpp"
#include "otel/metrics/exponential_histogram.hpp"
#include "otel/metrics/series_storage.hpp"

namespace loadgen::otel::metrics {
namespace {

MeasurementContext ctx(std::uint64_t t, bool sampled, std::uint8_t id = 1) {
  MeasurementContext c;
  c.time_unix_nano = t;
  c.sampled = sampled;
  c.trace_id[0] = id;
  c.span_id[0] = id;
  return c;
}

TEST(MetricsExemplarFilter, Decisions) {
  EXPECT_TRUE(exemplar_eligible(ExemplarFilter::kAlwaysOn, ctx(1, false)));
  EXPECT_FALSE(exemplar_eligible(ExemplarFilter::kAlwaysOff, ctx(1, true)));
  EXPECT_TRUE(exemplar_eligible(ExemplarFilter::kTraceBased, ctx(1, true)));
  EXPECT_FALSE(exemplar_eligible(ExemplarFilter::kTraceBased, ctx(1, false)));
}

TEST(MetricsExemplarReservoir, FixedSizeNeverExceedsItsSize) {
  core::Rng rng(1);
  FixedSizeExemplarReservoir r(5);
  std::vector<Exemplar> out;
  r.offer(NumberValue{1.0}, ctx(1, true), rng);
  r.collect(out);
  EXPECT_EQ(out.size(), 1u);
  for (int i = 0; i < 1000; ++i) r.offer(NumberValue{double(i)}, ctx(std::uint64_t(i), true), rng);
  out.clear();
  r.collect(out);
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(r.seen(), 1001u);
  FixedSizeExemplarReservoir other(5);
  for (int i = 0; i < 3; ++i) other.offer(NumberValue{-1.0}, ctx(9, true), rng);
  r.merge(other, rng);
  out.clear();
  r.collect(out);
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(r.seen(), 1004u);
  r.reset();
  out.clear();
  r.collect(out);
  EXPECT_TRUE(out.empty());
  // Small samples merge without loss.
  FixedSizeExemplarReservoir a(4);
  FixedSizeExemplarReservoir b(4);
  a.offer(NumberValue{1.0}, ctx(1, true), rng);
  b.offer(NumberValue{2.0}, ctx(2, true), rng);
  b.offer(NumberValue{3.0}, ctx(3, true), rng);
  a.merge(b, rng);
  out.clear();
  a.collect(out);
  EXPECT_EQ(out.size(), 3u);
}

TEST(MetricsExemplarReservoir, FixedSizeIsRoughlyUniform) {
  core::Rng rng(5);
  int first_half = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    FixedSizeExemplarReservoir r(1);
    for (int i = 0; i < 100; ++i) r.offer(NumberValue{std::int64_t{i}}, ctx(1, true), rng);
    std::vector<Exemplar> out;
    r.collect(out);
    if (std::get<std::int64_t>(out[0].value) < 50) ++first_half;
  }
  EXPECT_NEAR(first_half, 1000, 150);
}

TEST(MetricsExemplarReservoir, AlignedKeepsOnePerBucket) {
  core::Rng rng(2);
  auto bounds = std::make_shared<const std::vector<double>>(std::vector<double>{1, 2, 3});
  AlignedHistogramBucketExemplarReservoir r(bounds, true);
  EXPECT_EQ(r.size(), 4u);
  for (int i = 0; i < 100; ++i) {
    r.offer(0.5, ctx(1, true), rng);
    r.offer(2.0, ctx(2, true, 2), rng);  // upper bound inclusive: bucket (1, 2]
    r.offer(2.5, ctx(3, true), rng);
  }
  std::vector<Exemplar> out;
  r.collect(out);
  ASSERT_EQ(out.size(), 3u);  // bucket (3, +inf) saw nothing
  EXPECT_EQ(std::get<double>(out[0].value), 0.5);
  EXPECT_EQ(std::get<double>(out[1].value), 2.0);
  EXPECT_EQ(out[1].trace_id[0], 2);
  EXPECT_EQ(std::get<double>(out[2].value), 2.5);
  AlignedHistogramBucketExemplarReservoir other(bounds, true);
  other.offer(10.0, ctx(4, true), rng);
  r.merge(other, rng);
  out.clear();
  r.collect(out);
  EXPECT_EQ(out.size(), 4u);
  r.reset();
  out.clear();
  r.collect(out);
  EXPECT_TRUE(out.empty());
}

TEST(MetricsExemplarReservoir, DefaultSizes) {
  EXPECT_EQ(SumAggregator<double>::make_reservoir({}, true).size(), 1u);
  EXPECT_EQ(LastValueAggregator<double>::make_reservoir({}, true).size(), 1u);
  EXPECT_EQ(
      ExponentialHistogramAggregator::make_reservoir(*make_exponential_config(160), true).size(),
      20u);
  EXPECT_EQ(
      ExponentialHistogramAggregator::make_reservoir(*make_exponential_config(8), true).size(), 8u);
  EXPECT_EQ(ExplicitHistogramAggregator::make_reservoir(*make_explicit_config({1, 2}), true).size(),
            3u);
  EXPECT_EQ(SumAggregator<double>::make_reservoir({}, false).size(), 0u);
}

struct IntHash {
  std::size_t operator()(int k) const { return static_cast<std::size_t>(k); }
};

TEST(MetricsExemplarStorage, TraceBasedKeepsOnlySampledMeasurements) {
  core::Rng rng(1);
  SeriesStorage<int, ExplicitHistogramAggregator, IntHash> s(
      make_explicit_config(http_duration_bounds()), {10, ExemplarFilter::kTraceBased}, rng);
  s.record(1, 0.02, ctx(100, false, 7));
  s.record(1, 0.3, ctx(110, true, 8));
  auto d = s.take_delta(200);
  ASSERT_EQ(d.series.size(), 1u);
  std::vector<Exemplar> out;
  d.series[0].cell.reservoir.collect(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].trace_id[0], 8);
  EXPECT_EQ(out[0].span_id[0], 8);
  EXPECT_EQ(out[0].time_unix_nano, 110u);
  EXPECT_EQ(std::get<double>(out[0].value), 0.3);

  SeriesStorage<int, ExplicitHistogramAggregator, IntHash> off(
      make_explicit_config(http_duration_bounds()), {10, ExemplarFilter::kAlwaysOff}, rng);
  off.record(1, 0.3, ctx(110, true, 8));
  out.clear();
  off.take_delta(200).series[0].cell.reservoir.collect(out);
  EXPECT_TRUE(out.empty());

  SeriesStorage<int, ExponentialHistogramAggregator, IntHash> on(
      nullptr, {10, ExemplarFilter::kAlwaysOn}, rng);
  for (int i = 0; i < 100; ++i) on.record(1, 0.01 * (i + 1), ctx(std::uint64_t(i), false));
  out.clear();
  on.take_delta(200).series[0].cell.reservoir.collect(out);
  EXPECT_EQ(out.size(), 20u);
}

TEST(MetricsExemplarStorage, FilteredAttributesAreCopied) {
  core::Rng rng(1);
  SeriesStorage<int, SumAggregator<std::int64_t>, IntHash> s(nullptr,
                                                             {10, ExemplarFilter::kAlwaysOn}, rng);
  const Attributes extra{{"url.full", AttrValue{std::string("http://x/a")}}};
  MeasurementContext c = ctx(5, true);
  c.filtered_attributes = &extra;
  s.record(1, 1, c);
  std::vector<Exemplar> out;
  s.take_delta(10).series[0].cell.reservoir.collect(out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].filtered_attributes.size(), 1u);
  EXPECT_EQ(out[0].filtered_attributes[0].key, "url.full");
  EXPECT_EQ(std::get<std::int64_t>(out[0].value), 1);
}

}  // namespace
}  // namespace loadgen::otel::metrics
