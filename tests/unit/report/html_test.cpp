// The HTML report: every outside string escaped, the tables' numbers equal the CSV's, charts
// as inline SVG, an empty run; slow-trace links and their JSON.
#include "report/html.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "report/slow_traces.hpp"
#include "scenario.hpp"

namespace loadgen::report {
namespace {

using Rows = std::vector<std::vector<std::string>>;

const std::vector<ExceptionRow> kNoExceptions;
const std::vector<stats::HistoryPoint> kNoHistory;

RunInfo run_info() {
  RunInfo r;
  r.start_wall = 1000.0;
  r.end_wall = 1016.0;
  r.host = "http://shop:8080";
  r.scenario = "astronomy-shop";
  r.users = 10;
  r.spawn_rate = 2;
  r.version = "0.1.0";
  return r;
}

std::string render(const stats::Aggregate& a, const std::vector<ExceptionRow>& ex = kNoExceptions,
                   const std::vector<stats::HistoryPoint>& h = kNoHistory,
                   const RunInfo& run = run_info()) {
  return format_html_report(HtmlReport{a, ex, h, run});
}

// The cells (inner HTML) of every row of table#id, header row included. A number shown
// rounded carries the exact text in data-value: the cell is that text (checked: the shown one
// is it to 2 decimals).
Rows table(const std::string& html, const std::string& id) {
  const std::size_t start = html.find("<table id=\"" + id + "\"");
  EXPECT_NE(start, std::string::npos) << id;
  if (start == std::string::npos) return {};
  const std::string t = html.substr(start, html.find("</table>", start) - start);
  static const std::regex kRow("<tr[^>]*>([\\s\\S]*?)</tr>");
  static const std::regex kCell("<t[dh]([^>]*)>([\\s\\S]*?)</t[dh]>");
  static const std::regex kExact("data-value=\"([^\"]*)\"");
  Rows rows;
  for (std::sregex_iterator r(t.begin(), t.end(), kRow), end; r != end; ++r) {
    const std::string inner = (*r)[1];
    auto& row = rows.emplace_back();
    for (std::sregex_iterator c(inner.begin(), inner.end(), kCell); c != end; ++c) {
      const std::string attrs = (*c)[1];
      std::smatch exact;
      if (!std::regex_search(attrs, exact, kExact)) {
        row.push_back((*c)[2]);
        continue;
      }
      EXPECT_EQ((*c)[2].str(), fmt::format("{:.2f}", std::stod(exact[1])));
      row.push_back(exact[1]);
    }
  }
  return rows;
}

Rows csv_rows(const std::string& csv) {  // our test names hold no comma or quote
  Rows rows;
  std::size_t pos = 0;
  while (pos < csv.size()) {
    const std::size_t eol = csv.find("\r\n", pos);
    std::string line = csv.substr(pos, eol - pos);
    pos = eol + 2;
    auto& row = rows.emplace_back();
    std::size_t from = 0;
    for (std::size_t comma; (comma = line.find(',', from)) != std::string::npos; from = comma + 1) {
      row.push_back(line.substr(from, comma - from));
    }
    row.push_back(line.substr(from));
  }
  return rows;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

TEST(HtmlReport, TablesHoldTheCsvNumbers) {
  const stats::Aggregate a = testing::scenario();
  const std::string html = render(a);
  const Rows csv = csv_rows(format_stats_csv(a));
  const Rows req = table(html, "requests");
  const Rows pct = table(html, "response-times");
  ASSERT_EQ(req.size(), csv.size());  // header, entries, Aggregated
  ASSERT_EQ(pct.size(), csv.size());
  const std::vector<std::string> stats_cols = {
      "Request Count",         "Failure Count",     "Median Response Time",
      "Average Response Time", "Min Response Time", "Max Response Time",
      "Average Content Size",  "Requests/s",        "Failures/s"};
  for (std::size_t r = 1; r < csv.size(); ++r) {
    EXPECT_EQ(req[r][0], csv[r][0]);
    for (std::size_t i = 0; i < stats_cols.size(); ++i) {
      EXPECT_EQ(req[r][2 + i], csv[r][column(csv[0], stats_cols[i])]) << stats_cols[i];
    }
    for (const char* p : {"50%", "80%", "90%", "95%", "99%", "99.9%", "99.99%", "100%"}) {
      EXPECT_EQ(pct[r][column(pct[0], p)], csv[r][column(csv[0], p)]) << p << " row " << r;
    }
  }
  EXPECT_EQ(req.back()[1], "Aggregated");
  const Rows failures = table(html, "failures");
  ASSERT_EQ(failures.size(), a.errors().rows().size() + 1);
  EXPECT_EQ(failures[1][0], std::to_string(a.errors().rows()[0].occurrences));
}

TEST(HtmlReport, EscapesEveryOutsideString) {
  stats::Aggregate a(1.0);
  stats::Shard shard;
  shard.record("GET", "/<script>alert(1)</script>", 1000, 0, "bad \"&\" <b>", 2.0);
  a.merge(shard.take());
  RunInfo run = run_info();
  run.host = "http://x/\"><img src=x>";
  run.scenario = "<i>s</i>";
  const std::vector<ExceptionRow> ex = {{3, "<boom>", "in task <t>", "local"}};
  const std::string html = render(a, ex, kNoHistory, run);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<i>s"), std::string::npos);
  EXPECT_EQ(html.find("<boom>"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("/&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("bad &quot;&amp;&quot; &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("http://x/&quot;&gt;&lt;img src=x&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;boom&gt;"), std::string::npos);
}

TEST(HtmlReport, ChartsAreInlineSvgWithoutScriptsOrExternalResources) {
  const stats::Aggregate a = testing::scenario();
  std::vector<stats::HistoryPoint> h;
  for (int i = 0; i < 5; ++i) {
    stats::HistoryPoint p;
    p.t = 1000 + i;
    p.users = i * 2;
    p.rps = 10.0 * i;
    p.fail_per_s = i;
    p.p50_ms = i == 0 ? -1 : 20.0 * i;  // no request in the window at first: a gap
    p.p95_ms = i == 0 ? -1 : 40.0 * i;
    h.push_back(p);
  }
  const std::string html = render(a, kNoExceptions, h);
  for (const char* id : {"chart-requests", "chart-response-times", "chart-users"}) {
    EXPECT_NE(html.find(std::string("<svg id=\"") + id + "\""), std::string::npos) << id;
  }
  EXPECT_NE(html.find("<path d=\"M"), std::string::npos);
  EXPECT_NE(html.find("00:16:40"), std::string::npos);  // 1000 s after the epoch, UTC
  EXPECT_EQ(html.find("no data"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("NaN"), std::string::npos);
}

TEST(HtmlReport, EmptyRun) {
  const stats::Aggregate a(5.0);
  RunInfo run = run_info();
  run.start_wall = 0;
  const std::string html = render(a, kNoExceptions, kNoHistory, run);
  const Rows req = table(html, "requests");
  ASSERT_EQ(req.size(), 2u);  // header and Aggregated
  EXPECT_EQ(req[1][1], "Aggregated");
  EXPECT_EQ(req[1][2], "0");
  const Rows pct = table(html, "response-times");
  EXPECT_EQ(pct[1][2], "N/A");
  EXPECT_EQ(table(html, "failures").size(), 1u);
  EXPECT_EQ(table(html, "exceptions").size(), 1u);
  EXPECT_NE(html.find("no data"), std::string::npos);
  EXPECT_NE(html.find("not started"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
}

stats::Aggregate traced() {
  stats::Aggregate a(1.0);
  stats::Shard shard;
  stats::TraceIdBytes id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(i);
  shard.record("GET", "/slow\"", 250'500, 0, "", 2.0, &id);
  shard.record("GET", "/untraced", 1'000, 0, "", 2.0);
  a.merge(shard.take());
  return a;
}

TEST(SlowTraces, LinksThroughTheTemplate) {
  EXPECT_EQ(trace_link("http://j:16686/trace/{trace_id}?x={trace_id}", "ab"),
            "http://j:16686/trace/ab?x=ab");
  EXPECT_EQ(trace_link("", "ab"), "");
  const stats::Aggregate a = traced();
  RunInfo run = run_info();
  EXPECT_NE(render(a).find("<code>000102030405060708090a0b0c0d0e0f</code>"), std::string::npos);
  run.trace_link = "http://j/t/{trace_id}?a=1&b=\"";
  EXPECT_NE(
      render(a, kNoExceptions, kNoHistory, run)
          .find("<a class=\"trace-link\" href=\"http://j/t/000102030405060708090a0b0c0d0e0f"
                "?a=1&amp;b=&quot;\" title=\"000102030405060708090a0b0c0d0e0f\">00010203&hellip;"
                "</a> (250.5 ms)"),
      std::string::npos);
}

TEST(SlowTraces, JsonListsOnlyTracedEntries) {
  const auto j = nlohmann::json::parse(slow_traces_json(traced(), "http://j/{trace_id}"));
  EXPECT_EQ(j["link_template"], "http://j/{trace_id}");
  ASSERT_EQ(j["traces"].size(), 1u);
  EXPECT_EQ(j["traces"][0]["method"], "GET");
  EXPECT_EQ(j["traces"][0]["name"], "/slow\"");
  EXPECT_EQ(j["traces"][0]["trace_id"], "000102030405060708090a0b0c0d0e0f");
  EXPECT_DOUBLE_EQ(j["traces"][0]["response_time"].get<double>(), 250.5);
  EXPECT_EQ(nlohmann::json::parse(slow_traces_json(stats::Aggregate(1.0), ""))["traces"].size(),
            0u);
}

}  // namespace
}  // namespace loadgen::report
