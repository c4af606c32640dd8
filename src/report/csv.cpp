// Locust-compatible CSV formatting and files (see csv.hpp).
#include "report/csv.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "report/number_format.hpp"

namespace loadgen::report {
namespace {

constexpr std::array<double, 11> kPercentiles = {0.50, 0.66, 0.75,  0.80,   0.90, 0.95,
                                                 0.98, 0.99, 0.999, 0.9999, 1.0};
constexpr std::array<const char*, 11> kPercentileLabels = {
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"};

void append_percentiles(std::vector<std::string>& row, const stats::Entry& e) {
  for (double q : kPercentiles) row.push_back(percentile_cell(e, q));
}

// Locust's avg_content_length is the int 0 without requests, else a float.
std::string avg_content(const stats::Entry& e) {
  return e.num_requests == 0 ? std::string("0") : detail::py_float(e.avg_content_length());
}

std::string stats_row(const stats::Aggregate& a, const stats::Entry& e) {
  StatsCells c = stats_cells(a, e);
  std::vector<std::string> row = {
      std::move(c.method),   std::move(c.name),    std::move(c.requests),   std::move(c.failures),
      std::move(c.median),   std::move(c.average), std::move(c.min),        std::move(c.max),
      std::move(c.avg_size), std::move(c.rps),     std::move(c.fail_per_s),
  };
  append_percentiles(row, e);
  return csv_row(row);
}

// Locust's _percentile_fields(use_current=True): the current (10 s window) percentiles, 0 where
// Locust's value is None.
void append_current_percentiles(std::vector<std::string>& row, const stats::Aggregate& a,
                                const stats::Entry& e, double now_wall) {
  for (double q : kPercentiles) {
    if (e.num_requests == 0) {
      row.emplace_back("N/A");
      continue;
    }
    const auto ms = a.current_percentile_ms(e, q, now_wall);
    row.push_back(std::to_string(ms ? detail::round_ms(*ms) : 0));
  }
}

std::string history_row(const stats::Aggregate& a, const stats::Entry& e, int user_count,
                        double now_wall, bool full_history,
                        std::optional<std::uint64_t> dropped = std::nullopt) {
  std::vector<std::string> row = {
      std::to_string(static_cast<std::int64_t>(std::floor(now_wall))),
      std::to_string(user_count),
      e.method,
      e.name,
      fmt::format("{:.6f}", a.current_rps(e)),  // Python f"{x:2f}": width 2, precision 6
      fmt::format("{:.6f}", a.current_fail_per_sec(e)),
  };
  // stats.py _stats_history_data_rows: use_current=self.full_history, for every row.
  if (full_history) {
    append_current_percentiles(row, a, e, now_wall);
  } else {
    append_percentiles(row, e);
  }
  row.push_back(std::to_string(e.num_requests));
  row.push_back(std::to_string(e.num_failures));
  row.push_back(std::to_string(detail::round_ms(e.median_response_time_ms())));
  row.push_back(detail::py_float(e.avg_response_time_ms()));
  row.push_back(detail::py_number(e.min_response_time_ms()));
  row.push_back(detail::py_number(e.max_response_time_ms()));
  row.push_back(avg_content(e));
  if (dropped) row.push_back(std::to_string(*dropped));
  return csv_row(row);
}

core::Error file_error(const std::string& path, int err) {
  return core::make_error("csv_write_failed",
                          fmt::format("cannot write CSV file '{}': {}", path, std::strerror(err)),
                          "check that the --csv prefix names a writable directory");
}

core::Status write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return file_error(path, errno);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return file_error(path, errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return file_error(path, err);
  }
  return core::Ok{};
}

}  // namespace

StatsCells stats_cells(const stats::Aggregate& a, const stats::Entry& e) {
  return StatsCells{
      .method = e.method,
      .name = e.name,
      .requests = std::to_string(e.num_requests),
      .failures = std::to_string(e.num_failures),
      .median = std::to_string(detail::round_ms(e.median_response_time_ms())),
      .average = detail::py_float(e.avg_response_time_ms()),
      .min = detail::py_number(e.min_response_time_ms()),
      .max = detail::py_number(e.max_response_time_ms()),
      .avg_size = avg_content(e),
      .rps = detail::py_float(a.total_rps(e)),
      .fail_per_s = detail::py_float(a.total_fail_per_sec(e)),
  };
}

std::string percentile_cell(const stats::Entry& e, double q) {
  return e.num_requests == 0 ? std::string("N/A")
                             : std::to_string(detail::round_ms(e.percentile_ms(q)));
}

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';  // RFC 4180 §2 rule 7: a quote is escaped by doubling it
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) out += ',';
    out += csv_field(fields[i]);
  }
  out += "\r\n";
  return out;
}

std::string format_stats_csv(const stats::Aggregate& a) {
  std::vector<std::string> header = {"Type",
                                     "Name",
                                     "Request Count",
                                     "Failure Count",
                                     "Median Response Time",
                                     "Average Response Time",
                                     "Min Response Time",
                                     "Max Response Time",
                                     "Average Content Size",
                                     "Requests/s",
                                     "Failures/s"};
  for (const char* label : kPercentileLabels) header.emplace_back(label);
  std::string out = csv_row(header);
  for (const stats::Entry* e : a.entries()) out += stats_row(a, *e);
  out += stats_row(a, a.total());
  return out;
}

std::string format_failures_csv(const stats::Aggregate& a) {
  std::string out = csv_row({"Method", "Name", "Error", "Occurrences"});
  for (const stats::ErrorRow& r : a.errors().rows()) {
    out += csv_row({r.method, r.name, r.error, std::to_string(r.occurrences)});
  }
  return out;
}

std::string format_exceptions_csv(const std::vector<ExceptionRow>& rows) {
  std::string out = csv_row({"Count", "Message", "Traceback", "Nodes"});
  for (const auto& r : rows) {
    out += csv_row({std::to_string(r.count), r.message, r.traceback, r.nodes});
  }
  return out;
}

std::string stats_history_csv_header(bool dropped_iterations) {
  std::vector<std::string> header = {"Timestamp", "User Count", "Type",
                                     "Name",      "Requests/s", "Failures/s"};
  for (const char* label : kPercentileLabels) header.emplace_back(label);
  for (const char* c : {"Total Request Count", "Total Failure Count", "Total Median Response Time",
                        "Total Average Response Time", "Total Min Response Time",
                        "Total Max Response Time", "Total Average Content Size"}) {
    header.emplace_back(c);
  }
  if (dropped_iterations) header.emplace_back("Dropped Iterations");
  return csv_row(header);
}

std::string format_stats_history_rows(const stats::Aggregate& a, int user_count, double now_wall,
                                      bool full_history, std::optional<std::uint64_t> dropped) {
  std::string out;
  if (full_history) {
    for (const stats::Entry* e : a.entries()) {
      out += history_row(a, *e, user_count, now_wall, true, dropped);
    }
  }
  out += history_row(a, a.total(), user_count, now_wall, full_history, dropped);
  return out;
}

CsvWriter::CsvWriter(std::string prefix, bool full_history)
    : prefix_(std::move(prefix)), full_history_(full_history) {}

core::Status CsvWriter::write_stats(const stats::Aggregate& a) {
  return write_file_atomically(stats_path(), format_stats_csv(a));
}

core::Status CsvWriter::write_failures(const stats::Aggregate& a) {
  return write_file_atomically(failures_path(), format_failures_csv(a));
}

core::Status CsvWriter::write_exceptions(const std::vector<ExceptionRow>& rows) {
  return write_file_atomically(exceptions_path(), format_exceptions_csv(rows));
}

core::Status CsvWriter::write_all(const stats::Aggregate& a,
                                  const std::vector<ExceptionRow>& exceptions) {
  if (auto s = write_stats(a); !s) return s;
  if (auto s = write_failures(a); !s) return s;
  return write_exceptions(exceptions);
}

core::Status CsvWriter::append_history(const stats::Aggregate& a, int user_count, double now_wall,
                                       std::optional<std::uint64_t> dropped_iterations) {
  std::string text;
  if (!history_.is_open()) {
    history_.open(history_path(), std::ios::binary | std::ios::trunc);
    if (!history_) return file_error(history_path(), errno);
    text = stats_history_csv_header(dropped_iterations.has_value());
  } else if (!history_) {
    history_.clear();  // a failed write (e.g. a full disk) is retried at the next tick
  }
  text += format_stats_history_rows(a, user_count, now_wall, full_history_, dropped_iterations);
  history_.write(text.data(), static_cast<std::streamsize>(text.size()));
  history_.flush();
  if (!history_) return file_error(history_path(), errno);
  return core::Ok{};
}

}  // namespace loadgen::report
