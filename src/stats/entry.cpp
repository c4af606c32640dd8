// Entry and PerSecondCounts: Locust StatsEntry semantics (stats.py L305-520) in microseconds.
#include "stats/entry.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen::stats {
namespace {

constexpr double kUsPerMs = 1000.0;

std::int64_t epoch_second(double now) {
  // Python int() truncates; wall times are positive, so floor is the same and safe for 0.
  return static_cast<std::int64_t>(std::floor(now));
}

}  // namespace

void PerSecondCounts::add_slow(std::int64_t sec, std::uint64_t n) {
  auto it = std::lower_bound(counts_.begin(), counts_.end(), sec,
                             [](const auto& kv, std::int64_t s) { return kv.first < s; });
  if (it != counts_.end() && it->first == sec) {
    it->second += n;
  } else {
    counts_.insert(it, {sec, n});
  }
}

void PerSecondCounts::merge(const PerSecondCounts& other) {
  for (const auto& [sec, n] : other.counts_) add(sec, n);
}

std::uint64_t PerSecondCounts::at(std::int64_t sec) const {
  auto it = std::lower_bound(counts_.begin(), counts_.end(), sec,
                             [](const auto& kv, std::int64_t s) { return kv.first < s; });
  return it != counts_.end() && it->first == sec ? it->second : 0;
}

void PerSecondCounts::trim_before(std::int64_t sec) {
  auto it = std::lower_bound(counts_.begin(), counts_.end(), sec,
                             [](const auto& kv, std::int64_t s) { return kv.first < s; });
  counts_.erase(counts_.begin(), it);
}

void SlowTrace::merge(const SlowTrace& other) {
  if (!other.known()) return;
  if (!known() || other.response_time_us > response_time_us || at < other.at - kWindowS) {
    *this = other;
  }
}

void Entry::log(std::uint64_t response_time_us, std::uint64_t content_length, double now) {
  if (start_time == 0) start_time = now;
  if (num_requests == 0) {
    min_response_time_us = response_time_us;
    max_response_time_us = response_time_us;
  } else {
    min_response_time_us = std::min(min_response_time_us, response_time_us);
    max_response_time_us = std::max(max_response_time_us, response_time_us);
  }
  ++num_requests;
  reqs_per_sec.add(epoch_second(now));
  if (now > last_request_timestamp) last_request_timestamp = now;  // robust to reordering
  total_response_time_us += response_time_us;
  histogram.record(response_time_us);
  total_content_length += content_length;
}

void Entry::log_error(double now) {
  ++num_failures;
  fails_per_sec.add(epoch_second(now));
}

void Entry::merge(const Entry& other) {
  if (other.last_request_timestamp != 0) {
    last_request_timestamp = last_request_timestamp == 0
                                 ? other.last_request_timestamp
                                 : std::max(last_request_timestamp, other.last_request_timestamp);
  }
  if (other.start_time != 0 && (start_time == 0 || other.start_time < start_time)) {
    start_time = other.start_time;
  }
  if (other.num_requests > 0) {
    if (num_requests == 0) {
      min_response_time_us = other.min_response_time_us;
      max_response_time_us = other.max_response_time_us;
    } else {
      min_response_time_us = std::min(min_response_time_us, other.min_response_time_us);
      max_response_time_us = std::max(max_response_time_us, other.max_response_time_us);
    }
  }
  num_requests += other.num_requests;
  num_failures += other.num_failures;
  total_response_time_us += other.total_response_time_us;
  total_content_length += other.total_content_length;
  histogram.merge(other.histogram);
  reqs_per_sec.merge(other.reqs_per_sec);
  fails_per_sec.merge(other.fails_per_sec);
  slow_trace.merge(other.slow_trace);
}

void Entry::reset(double now) {
  num_requests = 0;
  num_failures = 0;
  total_response_time_us = 0;
  min_response_time_us = 0;
  max_response_time_us = 0;
  total_content_length = 0;
  start_time = now;
  last_request_timestamp = 0;
  histogram.reset();
  reqs_per_sec.clear();
  fails_per_sec.clear();
  slow_trace = SlowTrace{};
}

double Entry::avg_response_time_ms() const {
  if (num_requests == 0) return 0;
  return static_cast<double>(total_response_time_us) / static_cast<double>(num_requests) / kUsPerMs;
}

double Entry::min_response_time_ms() const {
  return num_requests == 0 ? 0 : static_cast<double>(min_response_time_us) / kUsPerMs;
}

double Entry::max_response_time_ms() const {
  return static_cast<double>(max_response_time_us) / kUsPerMs;
}

double Entry::median_response_time_ms() const {
  const std::uint64_t n = histogram.count();
  if (n == 0) return 0;
  const std::uint64_t v = histogram.value_at_rank((n - 1) / 2 + 1);
  return static_cast<double>(v) / kUsPerMs;  // value_at_rank already clamps to [min, max]
}

double Entry::percentile_ms(double q) const {
  return static_cast<double>(histogram.value_at_quantile(q)) / kUsPerMs;
}

double Entry::avg_content_length() const {
  if (num_requests == 0) return 0;
  return static_cast<double>(total_content_length) / static_cast<double>(num_requests);
}

double Entry::fail_ratio() const {
  if (num_requests == 0) return num_failures > 0 ? 1.0 : 0.0;
  return static_cast<double>(num_failures) / static_cast<double>(num_requests);
}

}  // namespace loadgen::stats
