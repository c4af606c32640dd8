// Worker storage (cardinality limit, deltas) and collector streams (temporality, start times,
// overflow) — metrics/sdk.md "Cardinality limits", "Start timestamps", "MetricReader";
// sdk_exporters/otlp.md temporality preferences.
#include <gtest/gtest.h>

#include <string>

#include "otel/metrics/aggregators.hpp"
#include "otel/metrics/exponential_histogram.hpp"
#include "otel/metrics/metric_stream.hpp"
#include "otel/metrics/series_storage.hpp"

namespace loadgen::otel::metrics {
namespace {

using AT = AggregationTemporality;
using IK = InstrumentKind;
using TP = TemporalityPreference;

struct Key {
  int id = 0;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const { return static_cast<std::size_t>(k.id) * 7919u; }
};
Attributes key_attrs(const Key& k) { return {{"k", AttrValue{std::int64_t{k.id}}}}; }

MeasurementContext at(std::uint64_t t) {
  MeasurementContext c;
  c.time_unix_nano = t;
  return c;
}

std::int64_t attr_id(const NumberDataPoint& p) {
  return std::get<std::int64_t>(p.attributes.at(0).value.v);
}
bool is_overflow(const Attributes& a) {
  return a.size() == 1 && a[0].key == "otel.metric.overflow" && std::get<bool>(a[0].value.v);
}

TEST(MetricsTemporality, PreferenceMapping) {
  const IK kinds[] = {IK::kCounter,        IK::kUpDownCounter,     IK::kHistogram,
                      IK::kGauge,          IK::kObservableCounter, IK::kObservableUpDownCounter,
                      IK::kObservableGauge};
  for (IK k : kinds) EXPECT_EQ(temporality_for(TP::kCumulative, k), AT::kCumulative);
  EXPECT_EQ(temporality_for(TP::kDelta, IK::kCounter), AT::kDelta);
  EXPECT_EQ(temporality_for(TP::kDelta, IK::kObservableCounter), AT::kDelta);
  EXPECT_EQ(temporality_for(TP::kDelta, IK::kHistogram), AT::kDelta);
  EXPECT_EQ(temporality_for(TP::kDelta, IK::kUpDownCounter), AT::kCumulative);
  EXPECT_EQ(temporality_for(TP::kDelta, IK::kObservableUpDownCounter), AT::kCumulative);
  // lowmemory: synchronous Counter and Histogram delta; the rest cumulative.
  EXPECT_EQ(temporality_for(TP::kLowMemory, IK::kCounter), AT::kDelta);
  EXPECT_EQ(temporality_for(TP::kLowMemory, IK::kHistogram), AT::kDelta);
  EXPECT_EQ(temporality_for(TP::kLowMemory, IK::kUpDownCounter), AT::kCumulative);
  EXPECT_EQ(temporality_for(TP::kLowMemory, IK::kObservableCounter), AT::kCumulative);
  EXPECT_EQ(temporality_for(TP::kLowMemory, IK::kObservableUpDownCounter), AT::kCumulative);
  EXPECT_EQ(temporality_for(TP::kLowMemory, IK::kGauge), AT::kCumulative);
  EXPECT_TRUE(is_monotonic(IK::kCounter));
  EXPECT_TRUE(is_monotonic(IK::kHistogram));
  EXPECT_FALSE(is_monotonic(IK::kUpDownCounter));
}

TEST(MetricsStorage, CardinalityLimitOverflowsIntoOneSeries) {
  core::Rng rng(1);
  SeriesStorage<Key, SumAggregator<std::int64_t>, KeyHash> s(
      nullptr, {3, ExemplarFilter::kAlwaysOff}, rng, 0);
  for (int i = 0; i < 10; ++i) s.record(Key{i}, 1, at(10));
  s.record(Key{0}, 5, at(11));  // an existing series still records normally
  EXPECT_EQ(s.series_count(), 3u);
  EXPECT_EQ(s.handle(Key{7}),
            (SeriesStorage<Key, SumAggregator<std::int64_t>, KeyHash>::kOverflow));
  auto d = s.take_delta(100);
  EXPECT_EQ(d.series.size(), 3u);
  ASSERT_TRUE(d.overflow);
  EXPECT_EQ(d.overflow->agg.value(), 7);

  MetricStream<Key, SumAggregator<std::int64_t>> stream(
      {"requests", "", "{request}", IK::kCounter, AT::kDelta, 3}, nullptr, key_attrs, rng, 0);
  stream.merge(d);
  const Metric m = stream.collect(200);
  const auto& sum = std::get<Sum>(m.data);
  EXPECT_TRUE(sum.is_monotonic);
  ASSERT_EQ(sum.data_points.size(), 4u);
  std::int64_t total = 0;
  int overflow_points = 0;
  for (const auto& p : sum.data_points) {
    total += std::get<std::int64_t>(p.value);
    overflow_points += is_overflow(p.attributes) ? 1 : 0;
  }
  EXPECT_EQ(total, 15);  // every measurement counted exactly once
  EXPECT_EQ(overflow_points, 1);
  // Delta pass: idle series are not in the next delta.
  s.record(Key{1}, 1, at(150));
  EXPECT_EQ(s.take_delta(200).series.size(), 1u);
}

TEST(MetricsStorage, NoOverflowAtExactlyTheLimit) {
  core::Rng rng(1);
  SeriesStorage<Key, SumAggregator<std::int64_t>, KeyHash> s(
      nullptr, {2000, ExemplarFilter::kAlwaysOff}, rng);
  for (int i = 0; i < 2000; ++i) s.record(Key{i}, 1, at(1));
  for (int i = 0; i < 2000; ++i) s.record(Key{i}, 1, at(2));
  auto d = s.take_delta(3);
  EXPECT_EQ(d.series.size(), 2000u);
  EXPECT_FALSE(d.overflow);
  for (const auto& series : d.series) EXPECT_EQ(series.cell.agg.value(), 2);
}

TEST(MetricsStream, CollectorLimitAcrossWorkersAndCumulativeKeepsOldSeries) {
  core::Rng rng(1);
  using Storage = SeriesStorage<Key, SumAggregator<std::int64_t>, KeyHash>;
  Storage w1(nullptr, {10, ExemplarFilter::kAlwaysOff}, rng);
  Storage w2(nullptr, {10, ExemplarFilter::kAlwaysOff}, rng);
  MetricStream<Key, SumAggregator<std::int64_t>> stream(
      {"c", "", "1", IK::kCounter, AT::kCumulative, 2}, nullptr, key_attrs, rng, 0);
  w1.record(Key{1}, 1, at(5));
  w2.record(Key{2}, 1, at(6));
  stream.merge(w1.take_delta(10));
  stream.merge(w2.take_delta(10));
  auto m = stream.collect(10);
  EXPECT_EQ(std::get<Sum>(m.data).data_points.size(), 2u);
  EXPECT_FALSE(stream.has_overflow());
  // Interval 2: a third key overflows; the two known keys keep their own series.
  w1.record(Key{3}, 4, at(15));
  w2.record(Key{1}, 1, at(16));
  stream.merge(w1.take_delta(20));
  stream.merge(w2.take_delta(20));
  m = stream.collect(20);
  const auto& pts = std::get<Sum>(m.data).data_points;
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(attr_id(pts[0]), 1);
  EXPECT_EQ(std::get<std::int64_t>(pts[0].value), 2);
  EXPECT_EQ(attr_id(pts[1]), 2);
  EXPECT_TRUE(is_overflow(pts[2].attributes));
  EXPECT_EQ(std::get<std::int64_t>(pts[2].value), 4);
  EXPECT_EQ(pts[2].start_time_unix_nano, 15u);
}

// Three collections at 2000, 3000, 4000 of a Counter created at 1000:
// interval 1: A += 5 at 1100; interval 2: A += 3 at 2500, B += 1 at 2600; interval 3: nothing.
template <AT kTemporality>
std::vector<Metric> three_collections() {
  core::Rng rng(1);
  SeriesStorage<Key, SumAggregator<std::int64_t>, KeyHash> worker(nullptr, {}, rng, 1000);
  MetricStream<Key, SumAggregator<std::int64_t>> stream({"c", "d", "1", IK::kCounter, kTemporality},
                                                        nullptr, key_attrs, rng, 1000);
  std::vector<Metric> out;
  worker.record(Key{1}, 5, at(1100));
  stream.merge(worker.take_delta(2000));
  out.push_back(stream.collect(2000));
  worker.record(Key{1}, 3, at(2500));
  worker.record(Key{2}, 1, at(2600));
  stream.merge(worker.take_delta(3000));
  out.push_back(stream.collect(3000));
  stream.merge(worker.take_delta(4000));
  out.push_back(stream.collect(4000));
  return out;
}

TEST(MetricsStream, CumulativeAcrossThreeCollections) {
  const auto ms = three_collections<AT::kCumulative>();
  const auto& s1 = std::get<Sum>(ms[0].data);
  EXPECT_EQ(s1.aggregation_temporality, AT::kCumulative);
  EXPECT_EQ(ms[0].name, "c");
  EXPECT_EQ(ms[0].description, "d");
  ASSERT_EQ(s1.data_points.size(), 1u);
  EXPECT_EQ(s1.data_points[0].start_time_unix_nano, 1100u);  // first measurement of the set
  EXPECT_EQ(s1.data_points[0].time_unix_nano, 2000u);
  EXPECT_EQ(std::get<std::int64_t>(s1.data_points[0].value), 5);
  for (int c = 1; c < 3; ++c) {
    const auto& s = std::get<Sum>(ms[static_cast<std::size_t>(c)].data);
    ASSERT_EQ(s.data_points.size(), 2u) << c;
    EXPECT_EQ(attr_id(s.data_points[0]), 1);
    EXPECT_EQ(s.data_points[0].start_time_unix_nano, 1100u);
    EXPECT_EQ(std::get<std::int64_t>(s.data_points[0].value), 8);
    EXPECT_EQ(attr_id(s.data_points[1]), 2);
    EXPECT_EQ(s.data_points[1].start_time_unix_nano, 2600u);
    EXPECT_EQ(std::get<std::int64_t>(s.data_points[1].value), 1);
    EXPECT_EQ(s.data_points[0].time_unix_nano, c == 1 ? 3000u : 4000u);
  }
}

TEST(MetricsStream, DeltaAcrossThreeCollections) {
  const auto ms = three_collections<AT::kDelta>();
  const auto& s1 = std::get<Sum>(ms[0].data);
  EXPECT_EQ(s1.aggregation_temporality, AT::kDelta);
  ASSERT_EQ(s1.data_points.size(), 1u);
  EXPECT_EQ(s1.data_points[0].start_time_unix_nano, 1000u);  // the instrument's creation
  EXPECT_EQ(s1.data_points[0].time_unix_nano, 2000u);
  EXPECT_EQ(std::get<std::int64_t>(s1.data_points[0].value), 5);
  const auto& s2 = std::get<Sum>(ms[1].data);
  ASSERT_EQ(s2.data_points.size(), 2u);
  for (const auto& p : s2.data_points) {
    EXPECT_EQ(p.start_time_unix_nano, 2000u);
    EXPECT_EQ(p.time_unix_nano, 3000u);
  }
  EXPECT_EQ(std::get<std::int64_t>(s2.data_points[0].value), 3);
  EXPECT_EQ(std::get<std::int64_t>(s2.data_points[1].value), 1);
  EXPECT_TRUE(std::get<Sum>(ms[2].data).data_points.empty());  // nothing since 3000
  EXPECT_EQ(data_point_count(ms[2]), 0u);
}

TEST(MetricsStream, CumulativeExponentialMergesDeltasOfDifferentScales) {
  core::Rng rng(9);
  SeriesStorage<Key, ExponentialHistogramAggregator, KeyHash> w(nullptr, {}, rng, 0);
  MetricStream<Key, ExponentialHistogramAggregator> stream(
      {"http.client.request.duration", "", "s", IK::kHistogram, AT::kCumulative}, nullptr,
      key_attrs, rng, 0);
  ExponentialHistogramAggregator all;
  for (int i = 0; i < 100; ++i) {  // interval 1: narrow → high scale
    const double v = 0.100 + 0.0001 * i;
    w.record(Key{1}, v, at(10));
    all.record(v);
  }
  auto d1 = w.take_delta(100);
  const std::int32_t scale1 = d1.series[0].cell.agg.scale();
  stream.merge(d1);
  stream.collect(100);
  for (int i = 0; i < 100; ++i) {  // interval 2: 1ms .. 30s → a low scale
    const double v = 0.001 * std::pow(1.1, i);
    w.record(Key{1}, v, at(110));
    all.record(v);
  }
  auto d2 = w.take_delta(200);
  EXPECT_LT(d2.series[0].cell.agg.scale(), scale1);
  stream.merge(d2);
  const Metric m = stream.collect(200);
  const auto& eh = std::get<ExponentialHistogram>(m.data);
  EXPECT_EQ(eh.aggregation_temporality, AT::kCumulative);
  ASSERT_EQ(eh.data_points.size(), 1u);
  const auto& p = eh.data_points[0];
  EXPECT_EQ(p.count, 200u);
  EXPECT_EQ(p.scale, all.scale());
  EXPECT_EQ(p.positive.offset, all.positive().start());
  EXPECT_EQ(p.positive.bucket_counts, all.positive().counts());
  EXPECT_EQ(p.start_time_unix_nano, 10u);
  EXPECT_EQ(p.time_unix_nano, 200u);
  EXPECT_EQ(p.min, all.min());
  EXPECT_EQ(p.max, all.max());
}

TEST(MetricsStream, ExplicitHistogramFromTwoWorkersWithExemplars) {
  core::Rng rng(4);
  auto cfg = make_explicit_config(http_duration_bounds());
  SeriesStorage<Key, ExplicitHistogramAggregator, KeyHash> w1(cfg, {10, ExemplarFilter::kAlwaysOn},
                                                              rng);
  SeriesStorage<Key, ExplicitHistogramAggregator, KeyHash> w2(cfg, {10, ExemplarFilter::kAlwaysOn},
                                                              rng);
  MetricStream<Key, ExplicitHistogramAggregator> stream(
      {"http.client.request.duration", "Duration of HTTP client requests.", "s", IK::kHistogram,
       AT::kDelta},
      cfg, key_attrs, rng, 0);
  w1.record(Key{1}, 0.004, at(1));
  w1.record(Key{1}, 0.2, at(2));
  w2.record(Key{1}, 0.2, at(3));
  w2.record(Key{1}, 20.0, at(4));
  stream.merge(w1.take_delta(10));
  stream.merge(w2.take_delta(10));
  const Metric m = stream.collect(10);
  const auto& h = std::get<Histogram>(m.data);
  EXPECT_EQ(h.aggregation_temporality, AT::kDelta);
  ASSERT_EQ(h.data_points.size(), 1u);
  const auto& p = h.data_points[0];
  EXPECT_EQ(p.count, 4u);
  EXPECT_EQ(p.bucket_counts[0], 1u);   // (-inf, 0.005]
  EXPECT_EQ(p.bucket_counts[6], 2u);   // (0.1, 0.25]
  EXPECT_EQ(p.bucket_counts[14], 1u);  // (10, +inf)
  EXPECT_DOUBLE_EQ(*p.sum, 20.404);
  EXPECT_EQ(p.min, 0.004);
  EXPECT_EQ(p.max, 20.0);
  EXPECT_EQ(p.exemplars.size(), 3u);  // one per bucket that saw measurements
  EXPECT_EQ(m.unit, "s");
}

TEST(MetricsStream, GaugeLastValue) {
  core::Rng rng(4);
  SeriesStorage<Key, LastValueAggregator<double>, KeyHash> w1(nullptr, {}, rng);
  SeriesStorage<Key, LastValueAggregator<double>, KeyHash> w2(nullptr, {}, rng);
  MetricStream<Key, LastValueAggregator<double>> stream({"g", "", "1", IK::kGauge, AT::kCumulative},
                                                        nullptr, key_attrs, rng, 0);
  w1.record(Key{1}, 5.0, at(30));
  w2.record(Key{1}, 7.0, at(20));
  stream.merge(w1.take_delta(40));
  stream.merge(w2.take_delta(40));
  auto m = stream.collect(40);
  const auto& g = std::get<Gauge>(m.data);
  ASSERT_EQ(g.data_points.size(), 1u);
  EXPECT_EQ(std::get<double>(g.data_points[0].value), 5.0);
  EXPECT_EQ(g.data_points[0].time_unix_nano, 40u);
  // Cumulative gauge: repeated without new measurements.
  m = stream.collect(50);
  EXPECT_EQ(std::get<Gauge>(m.data).data_points.size(), 1u);
}

}  // namespace
}  // namespace loadgen::otel::metrics
