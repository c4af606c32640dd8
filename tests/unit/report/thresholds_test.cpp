// Thresholds in the reports: the console table (results, no data, the abort line), the JSON
// array and the --summary-json document (its "stats" is the --json list unchanged), the HTML
// section with every string escaped.
#include "report/thresholds.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "report/html.hpp"
#include "report/json.hpp"

namespace loadgen::report {
namespace {

using nlohmann::json;

stats::Threshold th(std::string_view text, std::string_view origin = "--threshold") {
  auto r = stats::parse_threshold(text, origin);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : stats::Threshold{};
}

// GET /a: 10 requests at 10 ms, one failed; from wall second 1000 to 1009.
stats::Aggregate sample() {
  stats::Aggregate a(1000.0);
  stats::Shard s;
  for (int i = 0; i < 10; ++i) s.record("GET", "/a", 10'000, 5, i == 0 ? "boom" : "", 1000.0 + i);
  a.merge(s.take());
  return a;
}

TEST(ThresholdReport, ConsoleTable) {
  const stats::Aggregate a = sample();
  const std::vector<stats::Threshold> ts = {th("p95<20ms"), th("GET /a:failure_ratio<0.05"),
                                            th("GET /b:count>0", "plan.yaml:3:7")};
  const ThresholdReport r = ThresholdReport::evaluate(ts, a, std::nullopt);
  EXPECT_TRUE(r.failed());
  const std::string out = format_thresholds_table(r);
  EXPECT_EQ(out.rfind("Thresholds\n", 0), 0u) << out;
  EXPECT_NE(out.find("p95<20ms                  | 10.00 ms | pass"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /a:failure_ratio<0.05 |   0.1000 | FAIL "), std::string::npos) << out;
  EXPECT_NE(out.find("no data | FAIL (no data: no request matched 'GET /b') | plan.yaml:3:7"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("1 of 3 thresholds passed\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("aborted"), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
  const std::vector<stats::Threshold> none;
  EXPECT_EQ(format_thresholds_table(ThresholdReport::evaluate(none, a, std::nullopt)), "");
  EXPECT_FALSE(ThresholdReport::evaluate(none, a, std::nullopt).failed());
}

TEST(ThresholdReport, AbortLineAndAbortAloneFails) {
  const stats::Aggregate a = sample();
  const std::vector<stats::Threshold> ts = {th("p95<1s!abort=1s")};
  // Passing at the end, but it aborted the run earlier: still a failed run.
  const ThresholdReport r = ThresholdReport::evaluate(ts, a, ThresholdAbort{0, 1234.5, 12.2});
  EXPECT_TRUE(r.results[0].passed());
  EXPECT_TRUE(r.failed());
  EXPECT_NE(format_thresholds_table(r).find("Run aborted by threshold 'p95<1s!abort=1s' "
                                            "(--threshold): p95 was 1234.50 ms after 12 s\n"),
            std::string::npos)
      << format_thresholds_table(r);
}

TEST(ThresholdReport, Json) {
  const stats::Aggregate a = sample();
  const std::vector<stats::Threshold> ts = {th("GET /a:p99.9<=15"), th("/b:rps>1!abort"),
                                            th("failures<1")};
  const ThresholdReport r = ThresholdReport::evaluate(ts, a, ThresholdAbort{2, 1, 11});
  const json j = json::parse(thresholds_json(r));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["expression"], "GET /a:p99.9<=15");
  EXPECT_EQ(j[0]["origin"], "--threshold");
  EXPECT_EQ(j[0]["name"], "GET /a");
  EXPECT_EQ(j[0]["metric"], "p99.9");
  EXPECT_EQ(j[0]["op"], "<=");
  EXPECT_EQ(j[0]["limit"], 15.0);
  EXPECT_EQ(j[0]["unit"], "ms");
  EXPECT_NEAR(j[0]["observed"].get<double>(), 10.0, 0.1);
  EXPECT_EQ(j[0]["status"], "pass");
  EXPECT_EQ(j[0]["passed"], true);
  EXPECT_EQ(j[0]["abort_on_fail"], false);
  EXPECT_EQ(j[1]["status"], "no_data");
  EXPECT_TRUE(j[1]["observed"].is_null());
  EXPECT_EQ(j[1]["unit"], "/s");
  EXPECT_EQ(j[1]["abort_on_fail"], true);
  EXPECT_EQ(j[1]["aborted_run"], false);
  EXPECT_TRUE(j[2]["name"].is_null());
  EXPECT_EQ(j[2]["status"], "fail");
  EXPECT_EQ(j[2]["aborted_run"], true);
  const std::vector<stats::Threshold> none;
  EXPECT_EQ(thresholds_json(ThresholdReport::evaluate(none, a, std::nullopt)), "[]");
}

TEST(ThresholdReport, SummaryJsonKeepsTheStatsList) {
  const stats::Aggregate a = sample();
  const std::vector<stats::Threshold> ts = {th("count>5")};
  const std::string doc = format_summary_json(a, ThresholdReport::evaluate(ts, a, std::nullopt));
  EXPECT_EQ(doc.back(), '\n');
  const json j = json::parse(doc);
  EXPECT_EQ(j["stats"], json::parse(format_json_summary(a)));
  EXPECT_EQ(j["thresholds"].size(), 1u);
  EXPECT_EQ(j["thresholds_passed"], true);
  EXPECT_TRUE(j["aborted_by"].is_null());
  const stats::Aggregate empty(1000.0);
  const json e = json::parse(
      format_summary_json(empty, ThresholdReport::evaluate(ts, empty, ThresholdAbort{0, 0, 10})));
  EXPECT_EQ(e["stats"], json::array());
  EXPECT_EQ(e["thresholds_passed"], false);
  EXPECT_EQ(e["aborted_by"], "count>5");
}

TEST(ThresholdReport, SummaryJsonCarriesTheConnectionCounters) {
  const stats::Aggregate a = sample();
  const std::vector<stats::Threshold> ts = {th("count>5")};
  const ThresholdReport r = ThresholdReport::evaluate(ts, a, std::nullopt);
  EXPECT_FALSE(json::parse(format_summary_json(a, r)).contains("connections"));
  const ConnectionFigures c{.opened = 3,
                            .reused = 40,
                            .taken = 30,
                            .returned = 33,
                            .replaced = 1,
                            .peak_open = 3,
                            .open = 2,
                            .pooled = 2};
  const json j = json::parse(format_summary_json(a, r, &c));
  EXPECT_EQ(j["stats"], json::parse(format_json_summary(a)));
  EXPECT_EQ(j["connections"], json::parse(R"({"opened": 3, "reused": 40, "taken": 30,
      "returned": 33, "replaced": 1, "peak_open": 3, "open": 2, "pooled": 2})"));
}

TEST(ThresholdReport, HtmlSectionEscaped) {
  const stats::Aggregate a = sample();
  const std::vector<stats::Threshold> ts = {th("GET /a:p95<1s", "<x>.yaml:1:1"),
                                            th("GET /<b>:count>0")};
  const ThresholdReport r = ThresholdReport::evaluate(ts, a, ThresholdAbort{1, 0, 10});
  const std::vector<ExceptionRow> ex;
  const std::vector<stats::HistoryPoint> h;
  const RunInfo run;
  const std::string html = format_html_report(HtmlReport{a, ex, h, run, &r});
  EXPECT_NE(html.find("<table id=\"thresholds\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"pass\"><td>GET /a:p95&lt;1s</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;x&gt;.yaml:1:1"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"fail\"><td>GET /&lt;b&gt;:count&gt;0</td>"), std::string::npos);
  EXPECT_EQ(html.find("GET /<b>"), std::string::npos);
  EXPECT_NE(html.find("id=\"threshold-abort\""), std::string::npos);
  // No thresholds: no section.
  const std::string plain = format_html_report(HtmlReport{a, ex, h, run});
  EXPECT_EQ(plain.find("id=\"thresholds\""), std::string::npos);
}

}  // namespace
}  // namespace loadgen::report
