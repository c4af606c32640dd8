// Tests for http.client.request.duration's attributes (engine/request_metrics): the HTTP client
// semantic conventions' set by default (method, server address and port, url.scheme, status
// code, error.type, network.protocol.version), and loadgen.request.name only on request
// (LOADGEN_METRICS_REQUEST_NAME) and only for requests the scenario named, never the raw URL.
#include "engine/request_metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.hpp"

namespace loadgen::engine {
namespace {

client::AttemptRecord attempt(std::string_view name, bool named, int status,
                              client::Outcome outcome, bool tls = false) {
  const auto now = core::wall_ns();
  return client::AttemptRecord{.method = http::Method::kGet,
                               .name = name,
                               .url = "http://shop.test:8080/api/products/X?currencyCode=EUR",
                               .server_address = "shop.test",
                               .server_port = 8080,
                               .status = status,
                               .outcome = outcome,
                               .error = {},
                               .start_wall_ns = now - 1'000'000,
                               .end_wall_ns = now,
                               .duration_ns = 1'000'000,
                               .resend_count = 0,
                               .trace_id = {},
                               .span_id = {},
                               .parent_span_id = {},
                               .trace_flags = 0,
                               .trace_state = {},
                               .named = named,
                               .tls = tls};
}

using Point = std::map<std::string, std::string>;  // attribute -> value as text

std::vector<Point> duration_points(const RequestMetricsConfig& cfg,
                                   const std::vector<client::AttemptRecord>& attempts) {
  RequestMetrics rec(cfg, 1);
  for (const auto& a : attempts) rec.record(a);
  const auto now = static_cast<std::uint64_t>(core::wall_ns());
  RequestMetricStream stream(cfg, now - 1);
  stream.merge(*rec.take(now));
  std::vector<otel::Metric> out;
  stream.collect(now, out);
  std::vector<Point> points;
  for (const auto& m : out) {
    if (m.name != "http.client.request.duration") continue;
    for (const auto& p : std::get<otel::Histogram>(m.data).data_points) {
      Point pt;
      for (const auto& kv : p.attributes) {
        std::visit(
            [&](const auto& v) {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, std::string>) {
                pt[kv.key] = v;
              } else if constexpr (std::is_same_v<T, std::int64_t>) {
                pt[kv.key] = std::to_string(v);
              } else {
                pt[kv.key] = "?";
              }
            },
            kv.value.v);
      }
      points.push_back(std::move(pt));
    }
  }
  return points;
}

TEST(RequestMetrics, DurationCarriesTheSemconvAttributeSet) {
  const auto points = duration_points(
      {}, {attempt("/api/products/X?currencyCode=EUR", false, 200, client::Outcome::kOk),
           attempt("/api/cart", false, 503, client::Outcome::kHttpStatus, true)});
  ASSERT_EQ(points.size(), 2u);
  for (const Point& p : points) {
    EXPECT_EQ(p.at("http.request.method"), "GET");
    EXPECT_EQ(p.at("server.address"), "shop.test");
    EXPECT_EQ(p.at("server.port"), "8080");
    EXPECT_EQ(p.at("network.protocol.version"), "1.1");
    EXPECT_EQ(p.count("loadgen.request.name"), 0u);  // opt-in only
    EXPECT_EQ(p.count("url.full"), 0u);
    if (p.at("http.response.status_code") == "503") {
      EXPECT_EQ(p.at("error.type"), "503");
      EXPECT_EQ(p.at("url.scheme"), "https");
    } else {
      EXPECT_EQ(p.at("http.response.status_code"), "200");
      EXPECT_EQ(p.count("error.type"), 0u);
      EXPECT_EQ(p.at("url.scheme"), "http");
    }
  }
}

TEST(RequestMetrics, UnnamedUrlsShareOneSeriesPerStatus) {
  // Without the opt-in, URLs with different paths and queries are one series: bounded.
  std::vector<client::AttemptRecord> attempts;
  std::vector<std::string> urls;
  for (int i = 0; i < 50; ++i)
    urls.push_back("/api/products/" + std::to_string(i) + "?q=" + std::to_string(i));
  for (const auto& u : urls) attempts.push_back(attempt(u, false, 200, client::Outcome::kOk));
  EXPECT_EQ(duration_points({}, attempts).size(), 1u);
}

TEST(RequestMetrics, RequestNameIsOptInAndOnlyForNamedRequests) {
  RequestMetricsConfig cfg;
  cfg.request_name = true;
  const auto points =
      duration_points(cfg, {attempt("product", true, 200, client::Outcome::kOk),
                            attempt("/api/cart?sessionId=1", false, 200, client::Outcome::kOk)});
  ASSERT_EQ(points.size(), 2u);
  int named = 0;
  for (const Point& p : points) {
    if (p.count("loadgen.request.name") == 0) continue;
    EXPECT_EQ(p.at("loadgen.request.name"), "product");  // never the raw URL
    ++named;
  }
  EXPECT_EQ(named, 1);
}

}  // namespace
}  // namespace loadgen::engine
