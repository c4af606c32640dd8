// The HTML report (see html.hpp).
#include "report/html.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "core/html_escape.hpp"
#include "report/slow_traces.hpp"
#include "report/svg_chart.hpp"

namespace loadgen::report {
namespace {

using core::html_escape;

// Locust's report shows these percentiles (templates/report.html) plus the CSV's tail ones.
constexpr std::array<double, 10> kPercentiles = {0.5,  0.6,  0.7,   0.8,    0.9,
                                                 0.95, 0.99, 0.999, 0.9999, 1.0};
constexpr std::array<std::string_view, 10> kPercentileLabels = {
    "50%", "60%", "70%", "80%", "90%", "95%", "99%", "99.9%", "99.99%", "100%"};

constexpr std::string_view kStyle = R"(<style>
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}
th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}
th{background:#eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold}
.chart{width:100%;max-width:900px;display:block;margin-bottom:1em;font-size:11px}
.chart .grid{stroke:#ddd}
.empty{color:#777}
tr.fail td.result{color:#b00;font-weight:bold}
tr.pass td.result{color:#070}
</style>)";

std::string utc_time(double t) {
  const std::time_t s = static_cast<std::time_t>(std::floor(t));
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", fmt::gmtime(s));
}

std::string td(std::string_view text) { return fmt::format("<td>{}</td>", html_escape(text)); }
// A number cell. The CSV's text (Python's repr of a float: up to 17 digits) is kept exact in
// data-value and the title; the cell shows it rounded to 2 decimals, as Locust's report does.
std::string num(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.size() - dot <= 3 ||
      text.find_first_not_of("0123456789.-") != std::string_view::npos) {
    return fmt::format("<td class=\"num\">{}</td>", html_escape(text));
  }
  const double v = std::strtod(std::string(text).c_str(), nullptr);
  return fmt::format("<td class=\"num\" data-value=\"{0}\" title=\"{0}\">{1:.2f}</td>",
                     html_escape(text), v);
}
// A header cell; `csv` names the --csv column holding the same numbers ("" for none).
std::string th(std::string_view label, std::string_view csv = {}) {
  if (csv.empty()) return fmt::format("<th>{}</th>", html_escape(label));
  return fmt::format("<th data-csv=\"{}\">{}</th>", html_escape(csv), html_escape(label));
}

std::string summary_section(const HtmlReport& r) {
  const RunInfo& run = r.run;
  const stats::Entry& t = r.stats.total();
  const auto row = [](std::string_view k, std::string_view v) {
    return fmt::format("<tr><th>{}</th>{}</tr>\n", html_escape(k), td(v));
  };
  std::string out = "<table id=\"summary\">\n";
  out += row("Start", run.start_wall > 0 ? utc_time(run.start_wall) : "not started");
  out += row("End", utc_time(run.end_wall));
  out += row("Duration", fmt::format("{:.0f} s", std::max(0.0, run.end_wall - run.start_wall)));
  out += row("Target host", run.host);
  out += row("Users", std::to_string(run.users));
  out += row("Spawn rate", fmt::format("{:g}/s", run.spawn_rate));
  out += row("Scenario", run.scenario);
  out += row("Requests", std::to_string(t.num_requests));
  out += row("Failures", fmt::format("{} ({:.2f}%)", t.num_failures, 100 * t.fail_ratio()));
  out += row("loadgen version", run.version);
  return out + "</table>\n";
}

// The slow-trace cell: a link through the template, or the bare id without one.
std::string trace_cell(const stats::Entry& e, const RunInfo& run) {
  if (!e.slow_trace.known()) return "<td></td>";
  const std::string hex = trace_id_hex(e.slow_trace.trace_id);
  const std::string ms =
      fmt::format("{:g} ms", static_cast<double>(e.slow_trace.response_time_us) / 1000.0);
  if (run.trace_link.empty()) {
    return fmt::format("<td><code>{}</code> ({})</td>", hex, ms);
  }
  // The link carries the id: its text is the id's first 8 digits (the whole id as its title).
  return fmt::format(
      "<td><a class=\"trace-link\" href=\"{}\" title=\"{}\">{}&hellip;</a> ({})</td>",
      html_escape(trace_link(run.trace_link, hex)), hex, hex.substr(0, 8), ms);
}

std::string request_row(const HtmlReport& r, const stats::Entry& e, bool total) {
  const StatsCells c = stats_cells(r.stats, e);
  std::string out = total ? "<tr class=\"total\">" : "<tr>";
  out += td(c.method) + td(c.name) + num(c.requests) + num(c.failures) + num(c.median) +
         num(c.average) + num(c.min) + num(c.max) + num(c.avg_size) + num(c.rps) +
         num(c.fail_per_s) + (total ? "<td></td>" : trace_cell(e, r.run));
  return out + "</tr>\n";
}

std::string requests_section(const HtmlReport& r) {
  std::string out = "<h2>Request Statistics</h2>\n<table id=\"requests\">\n<thead><tr>";
  out += th("Type", "Type") + th("Name", "Name") + th("# Requests", "Request Count") +
         th("# Fails", "Failure Count") + th("Median (ms)", "Median Response Time") +
         th("Average (ms)", "Average Response Time") + th("Min (ms)", "Min Response Time") +
         th("Max (ms)", "Max Response Time") + th("Average size (bytes)", "Average Content Size") +
         th("RPS", "Requests/s") + th("Failures/s", "Failures/s") + th("Slow trace");
  out += "</tr></thead>\n<tbody>\n";
  for (const stats::Entry* e : r.stats.entries()) out += request_row(r, *e, false);
  out += "</tbody>\n<tfoot>\n" + request_row(r, r.stats.total(), true) + "</tfoot>\n</table>\n";
  return out;
}

std::string percentile_row(const stats::Entry& e, bool total) {
  std::string out = (total ? "<tr class=\"total\">" : "<tr>") + td(e.method) + td(e.name);
  for (double q : kPercentiles) out += num(percentile_cell(e, q));
  return out + "</tr>\n";
}

std::string percentiles_section(const HtmlReport& r) {
  std::string out =
      "<h2>Response Time Statistics (ms)</h2>\n<table id=\"response-times\">\n<thead><tr>";
  out += th("Type", "Type") + th("Name", "Name");
  for (std::string_view label : kPercentileLabels) out += th(label, label);
  out += "</tr></thead>\n<tbody>\n";
  for (const stats::Entry* e : r.stats.entries()) out += percentile_row(*e, false);
  out += "</tbody>\n<tfoot>\n" + percentile_row(r.stats.total(), true) + "</tfoot>\n</table>\n";
  return out;
}

// A table with a header and rows of escaped cells (failures, exceptions); a note when empty.
std::string simple_table(std::string_view id, std::string_view title,
                         const std::vector<std::string_view>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::string out = fmt::format("<h2>{}</h2>\n<table id=\"{}\">\n<thead><tr>", title, id);
  for (std::string_view h : header) out += th(h, h);
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& cells : rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < cells.size(); ++i) out += i == 0 ? num(cells[i]) : td(cells[i]);
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  if (rows.empty()) out += fmt::format("<p class=\"empty\">No {}.</p>\n", id);
  return out;
}

std::string failures_section(const HtmlReport& r) {
  std::vector<std::vector<std::string>> rows;
  for (const stats::ErrorRow& e : r.stats.errors().rows()) {
    rows.push_back({std::to_string(e.occurrences), e.method, e.name, e.error});
  }
  return simple_table("failures", "Failures", {"Occurrences", "Method", "Name", "Error"}, rows);
}

std::string exceptions_section(const HtmlReport& r) {
  std::vector<std::vector<std::string>> rows;
  for (const ExceptionRow& e : r.exceptions) {
    rows.push_back({std::to_string(e.count), e.message, e.traceback, e.nodes});
  }
  return simple_table("exceptions", "Exceptions", {"Count", "Message", "Traceback", "Nodes"}, rows);
}

// The thresholds (docs/thresholds.md): expression, observed value, result, origin; which one
// aborted the run.
std::string thresholds_section(const HtmlReport& r) {
  if (r.thresholds == nullptr || r.thresholds->thresholds.empty()) return {};
  const ThresholdReport& tr = *r.thresholds;
  std::string out = "<h2>Thresholds</h2>\n<table id=\"thresholds\">\n<thead><tr>";
  out += th("Threshold") + th("Observed") + th("Result") + th("Origin");
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < tr.thresholds.size(); ++i) {
    const stats::Threshold& t = tr.thresholds[i];
    const stats::ThresholdResult& res = tr.results[i];
    out += fmt::format("<tr class=\"{}\">", res.passed() ? "pass" : "fail");
    out += td(t.expression) +
           fmt::format("<td class=\"num\">{}</td>", html_escape(observed_text(t, res))) +
           fmt::format("<td class=\"result\">{}</td>", html_escape(result_text(t, res))) +
           td(t.origin) + "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  if (tr.aborted && tr.aborted->index < tr.thresholds.size()) {
    const stats::Threshold& t = tr.thresholds[tr.aborted->index];
    out += fmt::format(
        "<p id=\"threshold-abort\">Run aborted by threshold <code>{}</code> ({}): {} was {} "
        "after {:.0f} s.</p>\n",
        html_escape(t.expression), html_escape(t.origin), html_escape(stats::metric_label(t)),
        html_escape(stats::format_metric_value(t.metric, tr.aborted->observed)),
        tr.aborted->elapsed_s);
  }
  return out;
}

std::string charts_section(const std::vector<stats::HistoryPoint>& history) {
  Chart rps{"chart-requests", "Total requests per second", "per s", {}, {}};
  Chart times{"chart-response-times", "Response times (ms)", "ms", {}, {}};
  Chart users{"chart-users", "Number of users", "users", {}, {}};
  rps.series = {{"RPS", "#2ca02c", {}}, {"Failures/s", "#d62728", {}}};
  times.series = {{"50th percentile", "#1f77b4", {}}, {"95th percentile", "#ff7f0e", {}}};
  users.series = {{"Users", "#9467bd", {}}};
  for (const stats::HistoryPoint& p : history) {
    for (Chart* c : {&rps, &times, &users}) c->x.push_back(p.t);
    rps.series[0].y.push_back(p.rps);
    rps.series[1].y.push_back(p.fail_per_s);
    times.series[0].y.push_back(p.p50_ms);
    times.series[1].y.push_back(p.p95_ms);
    users.series[0].y.push_back(static_cast<double>(p.users));
  }
  std::string out = "<h2>Charts</h2>\n";
  for (const Chart* c : {&rps, &times, &users}) {
    out += fmt::format("<h3>{}</h3>\n{}\n", html_escape(c->title), render_svg_chart(*c));
  }
  return out;
}

}  // namespace

std::string format_html_report(const HtmlReport& r) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>loadgen report: {}</title>\n", html_escape(r.run.host));
  out += kStyle;
  out += "\n</head>\n<body>\n<h1>loadgen report</h1>\n";
  out += summary_section(r);
  out += thresholds_section(r);
  out += requests_section(r);
  out += percentiles_section(r);
  out += failures_section(r);
  out += exceptions_section(r);
  out += charts_section(r.history);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace loadgen::report
