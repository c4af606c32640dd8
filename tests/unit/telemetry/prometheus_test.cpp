// render_prometheus: names (units as suffixes, _total for counters), labels and escaping,
// cumulative buckets with +Inf, target_info from the resource.
#include "telemetry/prometheus.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loadgen::telemetry {
namespace {

otel::Metric histogram() {
  otel::HistogramDataPoint p;
  p.attributes = {{"http.request.method", {std::string("GET")}},
                  {"loadgen.request.name", {std::string("/a\"b\\c")}}};
  p.count = 6;
  p.sum = 1.5;
  p.explicit_bounds = {0.1, 1};
  p.bucket_counts = {1, 2, 3};
  otel::Histogram h;
  h.data_points.push_back(p);
  otel::Metric m;
  m.name = "http.client.request.duration";
  m.unit = "s";
  m.description = "Duration of HTTP client requests.";
  m.data = h;
  return m;
}

TEST(Prometheus, HistogramBucketsAreCumulativeWithInf) {
  otel::Resource r;
  r.attributes = {{"service.name", {std::string("loadgen")}}};
  const std::string text = render_prometheus(r, {histogram()});
  EXPECT_NE(text.find("target_info{service_name=\"loadgen\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE http_client_request_duration_seconds histogram\n"),
            std::string::npos);
  const std::string labels = "http_request_method=\"GET\",loadgen_request_name=\"/a\\\"b\\\\c\"";
  EXPECT_NE(text.find("http_client_request_duration_seconds_bucket{" + labels + ",le=\"0.1\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("http_client_request_duration_seconds_bucket{" + labels + ",le=\"1\"} 3\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("http_client_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 6\n"),
      std::string::npos);
  EXPECT_NE(text.find("http_client_request_duration_seconds_count{" + labels + "} 6\n"),
            std::string::npos);
  EXPECT_NE(text.find("http_client_request_duration_seconds_sum{" + labels + "} 1.5\n"),
            std::string::npos);
}

TEST(Prometheus, CountersGetTotalAndAnnotationsAreDropped) {
  otel::Sum s;
  s.is_monotonic = true;
  otel::NumberDataPoint p;
  p.value = std::int64_t{3};
  s.data_points.push_back(p);
  otel::Metric m;
  m.name = "loadgen.telemetry.dropped";
  m.unit = "{item}";
  m.data = s;
  otel::Sum u = s;
  u.is_monotonic = false;
  otel::Metric mem;
  mem.name = "process.memory.usage";
  mem.unit = "By";
  mem.data = u;
  const std::string text = render_prometheus({}, {m, mem});
  EXPECT_NE(
      text.find(
          "# TYPE loadgen_telemetry_dropped_total counter\nloadgen_telemetry_dropped_total 3\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE process_memory_usage_bytes gauge\n"), std::string::npos) << text;
}

TEST(Prometheus, UnitsBecomeSuffixesPerTheCompatibilityRules) {
  auto name_for = [](std::string unit) {
    otel::Gauge g;
    otel::NumberDataPoint p;
    p.value = 1.5;
    g.data_points.push_back(p);
    otel::Metric m;
    m.name = "x";
    m.unit = std::move(unit);
    m.data = g;
    const std::string text = render_prometheus({}, {m});
    const auto at = text.find("# TYPE x");
    return text.substr(at + 7, text.find(' ', at + 7) - at - 7);
  };
  EXPECT_EQ(name_for("{request}/s"), "x_per_second");
  EXPECT_EQ(name_for("By/s"), "x_bytes_per_second");
  EXPECT_EQ(name_for("m/s"), "x_meters_per_second");
  EXPECT_EQ(name_for("{packet}/min"), "x_per_min");  // not in the per-table: kept as written
  EXPECT_EQ(name_for("1"), "x_ratio");
  EXPECT_EQ(name_for("1/s"), "x_per_second");
  EXPECT_EQ(name_for("By/1"), "x_bytes");
  EXPECT_EQ(name_for("ms"), "x_milliseconds");
  EXPECT_EQ(name_for("{thread}"), "x");
  EXPECT_EQ(name_for("Cel"), "x_celsius");
}

}  // namespace
}  // namespace loadgen::telemetry
