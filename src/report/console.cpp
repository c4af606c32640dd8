// Console tables, column for column as Locust 2.12's stats.py prints them (see console.hpp).
#include "report/console.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "report/number_format.hpp"

namespace loadgen::report {
namespace {

constexpr int kTypeWidth = 8;  // Locust STATS_TYPE_WIDTH
constexpr std::array<double, 11> kPercentiles = {0.50, 0.66, 0.75,  0.80,   0.90, 0.95,
                                                 0.98, 0.99, 0.999, 0.9999, 1.0};
constexpr std::array<std::string_view, 11> kPercentileLabels = {
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"};

std::string dashes(int n) { return std::string(static_cast<std::size_t>(std::max(n, 0)), '-'); }

void append_line(std::string& out, std::string_view line) {
  out += line;
  out += '\n';
}

// StatsEntry.to_string: "%-8s %-{W-8+4}s %7d %12s |%7d %7d %7d%7d | %7.2f %11.2f".
std::string stats_row(const stats::Aggregate& a, const stats::Entry& e, bool current,
                      int name_col) {
  const double rps = current ? a.current_rps(e) : a.total_rps(e);
  const double fps = current ? a.current_fail_per_sec(e) : a.total_fail_per_sec(e);
  const std::string type = e.method.empty() ? std::string() : e.method + " ";
  const std::string fails = fmt::format("{}({:.2f}%)", e.num_failures, e.fail_ratio() * 100);
  return fmt::format(
      "{:<{}} {:<{}} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} | {:>7.2f} {:>11.2f}", type, kTypeWidth,
      e.name, name_col, e.num_requests, fails, detail::trunc_ms(e.avg_response_time_ms()),
      detail::trunc_ms(e.min_response_time_ms()), detail::trunc_ms(e.max_response_time_ms()),
      detail::round_ms(e.median_response_time_ms()), rps, fps);
}

// StatsEntry.percentile: "%-8s %-{W}s %8d" then 11 × "%6d" (the last is # reqs).
std::string percentile_row(const stats::Entry& e, int name_width) {
  std::string line = fmt::format("{:<{}} {:<{}} {:>8}", e.method, kTypeWidth, e.name, name_width,
                                 detail::round_ms(e.percentile_ms(kPercentiles[0])));
  for (std::size_t i = 1; i < kPercentiles.size(); ++i) {
    line += fmt::format(" {:>6}", detail::round_ms(e.percentile_ms(kPercentiles[i])));
  }
  line += fmt::format(" {:>6}", e.num_requests);
  return line;
}

}  // namespace

int stats_name_width_for_terminal(int columns) { return std::max(std::min(columns - 80, 80), 0); }

std::string format_stats_table(const stats::Aggregate& a, bool current, int name_width) {
  const int name_col = std::max(name_width - kTypeWidth + 4, 0);
  std::string out;
  append_line(out, fmt::format("{:<{}} {:<{}} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} | {:>7} {:>11}",
                               "Type", kTypeWidth, "Name", name_col, "# reqs", "# fails", "Avg",
                               "Min", "Max", "Med", "req/s", "failures/s"));
  const std::string separator =
      fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", dashes(kTypeWidth), dashes(name_col), dashes(7),
                  dashes(13), dashes(7), dashes(7), dashes(7), dashes(7), dashes(8), dashes(11));
  append_line(out, separator);
  for (const stats::Entry* e : a.entries()) append_line(out, stats_row(a, *e, current, name_col));
  append_line(out, separator);
  append_line(out, stats_row(a, a.total(), current, name_col));
  out += '\n';
  return out;
}

std::string format_percentiles_table(const stats::Aggregate& a, int name_width) {
  name_width = std::max(name_width, 0);
  std::string out;
  append_line(out, "Response time percentiles (approximated)");
  std::string header = fmt::format("{:<{}} {:<{}} {:>8}", "Type", kTypeWidth, "Name", name_width,
                                   kPercentileLabels[0]);
  for (std::size_t i = 1; i < kPercentileLabels.size(); ++i) {
    header += fmt::format(" {:>6}", kPercentileLabels[i]);
  }
  header += fmt::format(" {:>6}", "# reqs");
  append_line(out, header);
  std::string separator =
      fmt::format("{}|{}|{}", dashes(kTypeWidth), dashes(name_width), dashes(8));
  for (std::size_t i = 0; i < kPercentiles.size(); ++i) {
    separator += '|';
    separator += dashes(6);
  }
  append_line(out, separator);
  for (const stats::Entry* e : a.entries()) {
    if (e->histogram.count() != 0) append_line(out, percentile_row(*e, name_width));
  }
  append_line(out, separator);
  if (a.total().histogram.count() != 0) append_line(out, percentile_row(a.total(), name_width));
  out += '\n';
  return out;
}

std::string format_error_report(const stats::Aggregate& a, int name_width) {
  if (a.errors().empty()) return {};
  std::string out;
  append_line(out, "Error report");
  append_line(out, fmt::format("{:<18} {:<100}", "# occurrences", "Error"));
  const std::string separator = dashes(18) + "|" + dashes(80 + name_width - 19);
  append_line(out, separator);
  for (const stats::ErrorRow& r : a.errors().rows()) {
    // StatsError.to_name: "<method> <name>: <error>".
    append_line(out, fmt::format("{:<18} {:<100}", r.occurrences,
                                 fmt::format("{} {}: {}", r.method, r.name, r.error)));
  }
  append_line(out, separator);
  out += '\n';
  return out;
}

}  // namespace loadgen::report
