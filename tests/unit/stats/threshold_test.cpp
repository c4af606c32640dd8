// Thresholds: the grammar (every parse error names the threshold), evaluation over synthetic
// aggregates (percentiles, rates, names with and without a method, no data) and the live abort
// check's grace period.
#include "stats/threshold.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::stats {
namespace {

Threshold parse_ok(std::string_view text) {
  auto r = parse_threshold(text, "--threshold");
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Threshold{};
}

std::string parse_error(std::string_view text, std::string_view origin = "--threshold") {
  auto r = parse_threshold(text, origin);
  EXPECT_FALSE(r.ok()) << text << " parsed";
  return r.ok() ? std::string() : r.error().message;
}

TEST(ThresholdParse, AggregatePercentileInMs) {
  const Threshold t = parse_ok("p95<300ms");
  EXPECT_EQ(t.name, "");
  EXPECT_EQ(t.metric, ThresholdMetric::kPercentile);
  EXPECT_DOUBLE_EQ(t.percentile, 95);
  EXPECT_EQ(t.op, ThresholdOp::kLess);
  EXPECT_DOUBLE_EQ(t.limit, 300);
  EXPECT_FALSE(t.abort_on_fail);
  EXPECT_EQ(t.origin, "--threshold");
  EXPECT_EQ(t.expression, "p95<300ms");
}

TEST(ThresholdParse, TimeUnitsAndBareMilliseconds) {
  EXPECT_DOUBLE_EQ(parse_ok("p99.9<1s").limit, 1000);
  EXPECT_DOUBLE_EQ(parse_ok("p99.9<1s").percentile, 99.9);
  EXPECT_DOUBLE_EQ(parse_ok("avg<250").limit, 250);
  EXPECT_DOUBLE_EQ(parse_ok("max<=1500us").limit, 1.5);
  EXPECT_DOUBLE_EQ(parse_ok("median < 2m").limit, 120000);
  EXPECT_DOUBLE_EQ(parse_ok("min>0.5ms").limit, 0.5);
  EXPECT_DOUBLE_EQ(parse_ok("p(99)<1s").percentile, 99);  // k6's spelling
  EXPECT_DOUBLE_EQ(parse_ok("p100<=2s").percentile, 100);
  EXPECT_DOUBLE_EQ(parse_ok("P50<10").percentile, 50);
}

TEST(ThresholdParse, Operators) {
  EXPECT_EQ(parse_ok("rps<1").op, ThresholdOp::kLess);
  EXPECT_EQ(parse_ok("rps<=1").op, ThresholdOp::kLessEqual);
  EXPECT_EQ(parse_ok("rps>1").op, ThresholdOp::kGreater);
  EXPECT_EQ(parse_ok("rps >= 1").op, ThresholdOp::kGreaterEqual);
}

TEST(ThresholdParse, RatesRatiosAndCounts) {
  Threshold t = parse_ok("failure_ratio<0.01");
  EXPECT_EQ(t.metric, ThresholdMetric::kFailureRatio);
  EXPECT_DOUBLE_EQ(t.limit, 0.01);
  EXPECT_DOUBLE_EQ(parse_ok("failure_ratio<1%").limit, 0.01);
  t = parse_ok("rps>100");
  EXPECT_EQ(t.metric, ThresholdMetric::kRps);
  EXPECT_DOUBLE_EQ(t.limit, 100);
  EXPECT_DOUBLE_EQ(parse_ok("fail_rps<0.5/s").limit, 0.5);
  EXPECT_EQ(parse_ok("count>=1000").metric, ThresholdMetric::kCount);
  EXPECT_EQ(parse_ok("failures<1").metric, ThresholdMetric::kFailures);
}

TEST(ThresholdParse, NamesWithMethodSpacesAndColons) {
  Threshold t = parse_ok("GET /api/cart:p95<200ms");
  EXPECT_EQ(t.name, "GET /api/cart");
  EXPECT_DOUBLE_EQ(t.limit, 200);
  // A URL name holds ':' twice; the metric follows the last one before the comparison.
  t = parse_ok("http://127.0.0.1:8080/a?x=1:p99<1s");
  EXPECT_EQ(t.name, "http://127.0.0.1:8080/a?x=1");
  EXPECT_EQ(t.metric, ThresholdMetric::kPercentile);
  t = parse_ok("  checkout flow : failure_ratio <= 0.05  ");
  EXPECT_EQ(t.name, "checkout flow");
  EXPECT_EQ(t.expression, "checkout flow : failure_ratio <= 0.05");
  // '<' in a name is fine: the comparison is the last '<' or '>'.
  EXPECT_EQ(parse_ok("GET /search?q=<b>:avg<5").name, "GET /search?q=<b>");
}

TEST(ThresholdParse, AbortSuffix) {
  Threshold t = parse_ok("p99<1s!abort");
  EXPECT_TRUE(t.abort_on_fail);
  EXPECT_DOUBLE_EQ(t.abort_grace_s, Threshold::kDefaultAbortGraceS);
  EXPECT_DOUBLE_EQ(t.limit, 1000);
  EXPECT_EQ(t.expression, "p99<1s!abort");
  t = parse_ok("failure_ratio<0.1 !abort=2s");
  EXPECT_TRUE(t.abort_on_fail);
  EXPECT_DOUBLE_EQ(t.abort_grace_s, 2);
  EXPECT_DOUBLE_EQ(parse_ok("rps>1!abort=500ms").abort_grace_s, 0.5);
}

TEST(ThresholdParse, ErrorsNameOriginAndThreshold) {
  const std::string m = parse_error("p95<<3", "plan.yaml:12:5");
  EXPECT_EQ(m.rfind("plan.yaml:12:5: threshold 'p95<<3': ", 0), 0u) << m;
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("p95=300").find("no comparison"), std::string::npos);
  EXPECT_NE(parse_error("p95=<300").find("not a comparison"), std::string::npos);
  EXPECT_NE(parse_error("p95<").find("no value"), std::string::npos);
  EXPECT_NE(parse_error("<300").find("no metric"), std::string::npos);
  EXPECT_NE(parse_error(":p95<300").find("empty request name"), std::string::npos);
  EXPECT_NE(parse_error("p95x<300").find("percentile is p followed by a number"),
            std::string::npos);
  EXPECT_NE(parse_error("p0<300").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error("p100.1<300").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error("latency<300").find("unknown metric 'latency'"), std::string::npos);
  EXPECT_NE(parse_error("p95<300h").find("unknown time unit 'h'"), std::string::npos);
  EXPECT_NE(parse_error("p95<fast").find("not a number"), std::string::npos);
  EXPECT_NE(parse_error("p95<-3").find("negative"), std::string::npos);
  EXPECT_NE(parse_error("failure_ratio<2").find("at most 1"), std::string::npos);
  EXPECT_NE(parse_error("failure_ratio<1ms").find("no unit but '%'"), std::string::npos);
  EXPECT_NE(parse_error("rps>3ms").find("per second"), std::string::npos);
  EXPECT_NE(parse_error("count>3s").find("count takes no unit"), std::string::npos);
  EXPECT_NE(parse_error("p95<3!abrt").find("unknown suffix '!abrt'"), std::string::npos);
  EXPECT_NE(parse_error("p95<3!abort=2").find("needs a unit"), std::string::npos);
  EXPECT_NE(parse_error("p95<3!abort=soon").find("not a number"), std::string::npos);
}

TEST(ThresholdParse, Labels) {
  EXPECT_EQ(metric_label(parse_ok("p99.9<1s")), "p99.9");
  EXPECT_EQ(metric_label(parse_ok("p(95)<1s")), "p95");
  EXPECT_EQ(metric_label(parse_ok("fail_rps<1")), "fail_rps");
  EXPECT_EQ(op_label(ThresholdOp::kGreaterEqual), ">=");
  EXPECT_EQ(metric_unit(ThresholdMetric::kMedian), "ms");
  EXPECT_EQ(metric_unit(ThresholdMetric::kRps), "/s");
  EXPECT_EQ(metric_unit(ThresholdMetric::kCount), "");
  EXPECT_EQ(format_metric_value(ThresholdMetric::kAvg, 12.345), "12.35 ms");
  EXPECT_EQ(format_metric_value(ThresholdMetric::kFailureRatio, 0.5), "0.5000");
  EXPECT_EQ(format_metric_value(ThresholdMetric::kRps, 100), "100.00/s");
  EXPECT_EQ(format_metric_value(ThresholdMetric::kFailures, 3), "3");
}

// 100 GET /a at 1..100 ms (one failure), 10 POST /a at 500 ms, 10 GET /b at 2 ms (all failed),
// from wall second 1000 to 1010.
Aggregate sample() {
  Aggregate a(1000.0);
  Shard s;
  for (int i = 1; i <= 100; ++i) {
    s.record("GET", "/a", static_cast<std::uint64_t>(i) * 1000, 10, i == 100 ? "boom" : "",
             1000.0 + i * 0.1);
  }
  for (int i = 0; i < 10; ++i) s.record("POST", "/a", 500'000, 10, "", 1001.0 + i);
  for (int i = 0; i < 10; ++i) s.record("GET", "/b", 2000, 10, "500", 1001.0 + i * 0.5);
  a.merge(s.take());
  return a;
}

double observed(std::string_view text, const Aggregate& a) {
  const auto v = observe(parse_ok(text), a);
  EXPECT_TRUE(v.has_value()) << text;
  return v.value_or(-1);
}

TEST(ThresholdEvaluate, PercentilesPerRowAndAggregate) {
  const Aggregate a = sample();
  // GET /a: 1..100 ms; Locust's rank rule picks sample floor(q*n)+1; 1 ms steps are within the
  // histogram's exact range only below 128 µs, so compare within its 0.8 %.
  EXPECT_NEAR(observed("GET /a:p50<1s", a), 51, 51 * 0.008);
  EXPECT_NEAR(observed("GET /a:p95<1s", a), 96, 96 * 0.008);
  EXPECT_NEAR(observed("GET /a:p99.9<1s", a), 100, 100 * 0.008);
  EXPECT_NEAR(observed("GET /a:p100<1s", a), 100, 1e-9);  // max is exact
  EXPECT_NEAR(observed("GET /a:median<1s", a), 50, 50 * 0.008);
  EXPECT_NEAR(observed("GET /a:avg<1s", a), 50.5, 1e-9);
  EXPECT_NEAR(observed("GET /a:min<1s", a), 1, 1e-9);
  // Aggregated: 120 requests; the top 10 are POST's 500 ms.
  EXPECT_NEAR(observed("p95<1s", a), 500, 500 * 0.008);
  EXPECT_NEAR(observed("max<1s", a), 500, 1e-9);
}

TEST(ThresholdEvaluate, NameWithoutMethodMergesEveryMethod) {
  const Aggregate a = sample();
  EXPECT_DOUBLE_EQ(observed("/a:count>0", a), 110);
  EXPECT_DOUBLE_EQ(observed("GET /a:count>0", a), 100);
  EXPECT_DOUBLE_EQ(observed("POST /a:count>0", a), 10);
  EXPECT_NEAR(observed("/a:max<1s", a), 500, 1e-9);
  EXPECT_NEAR(observed("/a:min<1s", a), 1, 1e-9);
}

TEST(ThresholdEvaluate, RatiosAndRates) {
  const Aggregate a = sample();
  EXPECT_DOUBLE_EQ(observed("GET /b:failure_ratio<0.5", a), 1.0);
  EXPECT_DOUBLE_EQ(observed("GET /a:failure_ratio<0.5", a), 0.01);
  EXPECT_DOUBLE_EQ(observed("failures<1", a), 11);
  EXPECT_NEAR(observed("failure_ratio<1", a), 11.0 / 120, 1e-12);
  // Rates over the whole run: the total's span is 1000.0 (start) to 1010.0 (last request).
  const double span = a.total().last_request_timestamp - a.total().start_time;
  EXPECT_NEAR(observed("rps>1", a), 120 / span, 1e-9);
  EXPECT_NEAR(observed("GET /b:rps>1", a), 10 / span, 1e-9);
  EXPECT_NEAR(observed("fail_rps<1", a), 11 / span, 1e-9);
}

TEST(ThresholdEvaluate, PassFailAndNoData) {
  const Aggregate a = sample();
  EXPECT_EQ(evaluate(parse_ok("GET /a:p95<200ms"), a).status, ThresholdStatus::kPass);
  EXPECT_EQ(evaluate(parse_ok("GET /a:p95<50ms"), a).status, ThresholdStatus::kFail);
  EXPECT_EQ(evaluate(parse_ok("count>=120"), a).status, ThresholdStatus::kPass);
  EXPECT_EQ(evaluate(parse_ok("count>120"), a).status, ThresholdStatus::kFail);
  EXPECT_EQ(evaluate(parse_ok("count<=120"), a).status, ThresholdStatus::kPass);
  EXPECT_EQ(evaluate(parse_ok("count<120"), a).status, ThresholdStatus::kFail);
  const ThresholdResult none = evaluate(parse_ok("GET /nowhere:p95<1s"), a);
  EXPECT_EQ(none.status, ThresholdStatus::kNoData);
  EXPECT_FALSE(none.passed());
  EXPECT_FALSE(none.observed.has_value());
  // Nothing requested at all: even the Aggregated row has no data.
  const Aggregate empty(1000.0);
  EXPECT_EQ(evaluate(parse_ok("failure_ratio<0.01"), empty).status, ThresholdStatus::kNoData);
  const auto all = evaluate_all({parse_ok("count>0"), parse_ok("p50<1ms")}, a);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0].passed());
  EXPECT_FALSE(all[1].passed());
}

TEST(ThresholdAbort, WaitsForGraceAndData) {
  const Aggregate a = sample();                            // statistics start at wall second 1000
  const std::vector<Threshold> ts = {parse_ok("p95<1ms"),  // fails, but no !abort
                                     parse_ok("GET /x:p95<1ms!abort"),  // no data
                                     parse_ok("count>1000!abort=5s")};  // fails
  EXPECT_FALSE(first_abort(ts, a, 1004.9).has_value());                 // within the grace period
  EXPECT_EQ(first_abort(ts, a, 1005.0), std::optional<std::size_t>(2));
  const std::vector<Threshold> passing = {parse_ok("count>1!abort=0s")};
  EXPECT_FALSE(first_abort(passing, a, 2000).has_value());
}

}  // namespace
}  // namespace loadgen::stats
