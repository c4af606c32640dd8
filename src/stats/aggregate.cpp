// Aggregate: merging shard deltas and Locust's rate computations (see aggregate.hpp).
#include "stats/aggregate.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen::stats {

Aggregate::Aggregate(double now_wall, std::size_t max_names) : max_names_(max_names) {
  total_.name = std::string(kTotalName);
  total_.start_time = now_wall;
  total_window_.reset(now_wall);
}

void Aggregate::merge(Snapshot&& delta) {
  std::vector<Entry*> touched;
  touched.reserve(delta.entries.size());
  for (Entry& d : delta.entries) {
    auto key = std::make_pair(d.name, d.method);
    auto it = entries_.find(key);
    if (it == entries_.end() && entries_.size() >= max_names_) {
      key.first = std::string(Shard::kOverflowName);
      it = entries_.find(key);
    }
    if (it == entries_.end()) {
      Entry fresh;
      fresh.name = key.first;
      fresh.method = key.second;
      // Locust creates the entry now, and its reset caches the empty state.
      windows_[key].reset(d.start_time != 0 ? d.start_time : d.last_request_timestamp);
      it = entries_.emplace(key, std::move(fresh)).first;
    }
    const double entry_last = it->second.last_request_timestamp;
    const double total_last = total_.last_request_timestamp;
    it->second.merge(d);
    windows_[it->first].add(d.histogram, entry_last, it->second.last_request_timestamp);
    touched.push_back(&it->second);
    if (d.method == kIterationMethod) continue;  // iterations are not requests
    total_.merge(d);
    total_window_.add(d.histogram, total_last, total_.last_request_timestamp);
  }

  // Errors: an entry folded above keeps its original name here; fold it the same way.
  for (const ErrorRow& r : delta.errors.rows()) {
    const bool known = entries_.count({r.name, r.method}) != 0;
    errors_.add(r.method, known ? std::string_view(r.name) : Shard::kOverflowName, r.error,
                r.occurrences);
  }

  const auto keep_from = [](double last_ts) {
    return static_cast<std::int64_t>(std::floor(last_ts)) - kPerSecondWindow;
  };
  for (Entry* e : touched) {
    const double last = last_activity(*e);
    if (last == 0) continue;
    e->reqs_per_sec.trim_before(keep_from(last));
    e->fails_per_sec.trim_before(keep_from(last));
  }
  if (total_.last_request_timestamp != 0) {
    total_.reqs_per_sec.trim_before(keep_from(total_.last_request_timestamp));
    total_.fails_per_sec.trim_before(keep_from(total_.last_request_timestamp));
  }
}

void Aggregate::reset(double now_wall) {
  total_.reset(now_wall);
  for (auto& [key, e] : entries_) e.reset(now_wall);
  total_window_.reset(now_wall);
  for (auto& [key, w] : windows_) w.reset(now_wall);
  errors_.clear();
}

std::vector<const Entry*> Aggregate::entries() const {
  std::vector<const Entry*> out;
  out.reserve(entries_.size());
  for (const auto& [key, e] : entries_) out.push_back(&e);
  return out;
}

double Aggregate::last_activity(const Entry& e) const {
  if (e.method != kIterationMethod) return total_.last_request_timestamp;
  return std::max(total_.last_request_timestamp, e.last_request_timestamp);
}

double Aggregate::per_second_mean(const PerSecondCounts& counts, double last_ts) const {
  if (last_ts == 0) return 0;
  const auto last = static_cast<std::int64_t>(std::floor(last_ts));
  const auto start = static_cast<std::int64_t>(std::floor(total_.start_time));
  const std::int64_t from = std::max(last - 12, start);
  const std::int64_t to = last - 2;  // exclusive: the two newest seconds are incomplete
  if (to <= from) return 0;
  std::uint64_t sum = 0;
  for (std::int64_t t = from; t < to; ++t) sum += counts.at(t);
  return static_cast<double>(sum) / static_cast<double>(to - from);
}

double Aggregate::current_rps(const Entry& e) const {
  return per_second_mean(e.reqs_per_sec, last_activity(e));
}

double Aggregate::current_fail_per_sec(const Entry& e) const {
  return per_second_mean(e.fails_per_sec, last_activity(e));
}

double Aggregate::per_total_span(std::uint64_t n, double last_ts) const {
  if (last_ts == 0 || total_.start_time == 0) return 0;
  const double span = last_ts - total_.start_time;
  if (span <= 0) return 0;
  return static_cast<double>(n) / span;
}

std::optional<double> Aggregate::current_percentile_ms(const Entry& e, double q,
                                                       double now_wall) const {
  const RecentWindow* w = &total_window_;
  if (&e != &total_) {
    const auto it = windows_.find({e.name, e.method});
    if (it == windows_.end()) return std::nullopt;
    w = &it->second;
  }
  const std::optional<Histogram> recent = w->current(now_wall);
  if (!recent) return std::nullopt;
  return static_cast<double>(recent->value_at_quantile(q)) / 1000.0;  // 0 when empty, as Locust
}

double Aggregate::total_rps(const Entry& e) const {
  return per_total_span(e.num_requests, last_activity(e));
}

double Aggregate::total_fail_per_sec(const Entry& e) const {
  return per_total_span(e.num_failures, last_activity(e));
}

}  // namespace loadgen::stats
