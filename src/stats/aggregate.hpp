// Aggregate: the main thread's merged view of all shards, Locust's RequestStats (stats.py
// L200-300): per-(method, name) entries, the "Aggregated" total and the errors table. Each
// entry's slow_trace is the trace of a recent slow request across all workers (SlowTrace).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stats/entry.hpp"
#include "stats/errors.hpp"
#include "stats/recent_window.hpp"
#include "stats/shard.hpp"

namespace loadgen::stats {

class Aggregate {
 public:
  static constexpr std::string_view kTotalName = "Aggregated";
  // Seconds of per-second counts kept behind the newest request; current_rps needs 12.
  static constexpr std::int64_t kPerSecondWindow = 20;

  // max_names bounds the entries across all shards; overflow folds into Shard::kOverflowName.
  explicit Aggregate(double now_wall = 0, std::size_t max_names = 1000);

  // Merges a shard's delta into its entries and into the total (method "", name "Aggregated").
  // Per-second counts older than kPerSecondWindow seconds before the newest request are
  // dropped (Locust keeps them forever).
  void merge(Snapshot&& delta);
  // Locust reset_all: every entry and the total zeroed with start_time = now_wall (entries
  // stay listed), errors cleared.
  void reset(double now_wall);

  const Entry& total() const { return total_; }
  std::vector<const Entry*> entries() const;  // sorted by (name, method)
  const ErrorTable& errors() const { return errors_; }

  // Locust current_rps: the mean of per-second counts over
  // [max(int(total.last_ts) - 12, int(total.start_time)), int(total.last_ts) - 2); 0 when the
  // total has no request yet or the range is empty.
  double current_rps(const Entry& e) const;
  double current_fail_per_sec(const Entry& e) const;
  // num_requests / (total.last_request_timestamp - total.start_time), 0 if no span.
  double total_rps(const Entry& e) const;
  double total_fail_per_sec(const Entry& e) const;
  // Locust get_current_response_time_percentile: the q-quantile (ms) of the response times of
  // about the last 10 s before now_wall (RecentWindow); 0 when that window has no request; null
  // when no cached second fits (the first 2 s after a reset, or 18 s without requests).
  std::optional<double> current_percentile_ms(const Entry& e, double q, double now_wall) const;
  std::optional<double> current_percentile_ms(double q, double now_wall) const {
    return current_percentile_ms(total_, q, now_wall);
  }

 private:
  // The time a row's rates are measured to: the total's last request (Locust's), and for an
  // open-model ITER row (kept out of the total) the later of that and its own last iteration,
  // so iterations that send no request still have a rate.
  double last_activity(const Entry& e) const;
  double per_second_mean(const PerSecondCounts& counts, double last_ts) const;
  double per_total_span(std::uint64_t n, double last_ts) const;

  std::size_t max_names_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;  // key (name, method)
  Entry total_;
  std::map<std::pair<std::string, std::string>, RecentWindow> windows_;  // as entries_
  RecentWindow total_window_;
  ErrorTable errors_;
};

}  // namespace loadgen::stats
