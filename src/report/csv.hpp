// Locust 2.12-compatible CSV output (--csv PREFIX; locust.md §3, stats.py StatsCSV): the
// formatters return file contents (also served by the web UI's /stats/*/csv routes); CsvWriter
// writes the files. Lines end in CRLF and fields are quoted per RFC 4180 §2 only when they
// contain a comma, a quote or a line break (Python csv.writer's QUOTE_MINIMAL).
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "stats/aggregate.hpp"

namespace loadgen::report {

// One CSV record from raw fields, CRLF-terminated.
std::string csv_row(const std::vector<std::string>& fields);
// A field quoted when needed (RFC 4180 §2 rules 6-7).
std::string csv_field(std::string_view field);

// The cells of one <prefix>_stats.csv row before the percentiles, as Locust prints them (the
// HTML report shows the same cells, so its numbers equal the CSV's).
struct StatsCells {
  std::string method, name, requests, failures, median, average, min, max, avg_size, rps,
      fail_per_s;
};
StatsCells stats_cells(const stats::Aggregate& a, const stats::Entry& e);
// A response-time percentile cell (q in 0..1): whole ms, "N/A" without requests.
std::string percentile_cell(const stats::Entry& e, double q);

// <prefix>_stats.csv: Type, Name, Request Count, ..., 100%; entries sorted, then Aggregated.
// Requests/s and Failures/s are over the whole run; percentiles "N/A" without requests.
std::string format_stats_csv(const stats::Aggregate& a);
// <prefix>_failures.csv: Method, Name, Error, Occurrences; most frequent first (Locust's order
// is by sha256 of the key, i.e. arbitrary).
std::string format_failures_csv(const stats::Aggregate& a);
// One row of Locust's exceptions table: a task that threw (C++ has no traceback; we give the
// user class and task instead). Nodes is "local" for a single process.
struct ExceptionRow {
  std::uint64_t count = 0;
  std::string message;
  std::string traceback;
  std::string nodes = "local";
};
// <prefix>_exceptions.csv: Count, Message, Traceback, Nodes.
std::string format_exceptions_csv(const std::vector<ExceptionRow>& rows = {});
// <prefix>_stats_history.csv header, and the rows for one tick: the entries (if full_history)
// then Aggregated. Requests/s and Failures/s are current (10 s window). Percentiles are
// cumulative, or, with full_history, current (about the 10 s before now_wall; 0 when Locust's is
// None) on every row, as Locust 2.12 does (stats.py _percentile_fields(use_current=...)).
// `dropped_iterations` (the open model only, docs/load-models.md): a last column "Dropped
// Iterations", the run's count so far on every row; the closed model's file stays Locust's.
std::string stats_history_csv_header(bool dropped_iterations = false);
std::string format_stats_history_rows(const stats::Aggregate& a, int user_count, double now_wall,
                                      bool full_history,
                                      std::optional<std::uint64_t> dropped_iterations = {});

class CsvWriter {
 public:
  CsvWriter(std::string prefix, bool full_history);

  // Rewrite the file whole, through "<file>.tmp" and rename, so readers never see half a file.
  core::Status write_stats(const stats::Aggregate& a);
  core::Status write_failures(const stats::Aggregate& a);
  core::Status write_exceptions(const std::vector<ExceptionRow>& rows = {});
  // write_stats + write_failures + write_exceptions: Locust's once-a-second tick.
  core::Status write_all(const stats::Aggregate& a,
                         const std::vector<ExceptionRow>& exceptions = {});
  // The first call truncates the file and writes the header; each call appends rows and
  // flushes (Locust flushes every 10 s and can lose the tail; we do not).
  core::Status append_history(const stats::Aggregate& a, int user_count, double now_wall,
                              std::optional<std::uint64_t> dropped_iterations = {});

  std::string stats_path() const { return prefix_ + "_stats.csv"; }
  std::string failures_path() const { return prefix_ + "_failures.csv"; }
  std::string exceptions_path() const { return prefix_ + "_exceptions.csv"; }
  std::string history_path() const { return prefix_ + "_stats_history.csv"; }

 private:
  std::string prefix_;
  bool full_history_;
  std::ofstream history_;
};

}  // namespace loadgen::report
