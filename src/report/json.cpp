// JSON summary and a minimal RFC 8259 string escaper (see json.hpp).
#include "report/json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/json_string.hpp"
#include "report/number_format.hpp"

namespace loadgen::report {
namespace {

// Locust's bucket of a response time (stats.py StatsEntry._log_response_time): whole ms below
// 100 ms, then rounded to 10, 100 and 1000 ms; Python's round() rounds half to even, as
// nearbyint does in the default rounding mode.
std::int64_t locust_bucket_ms(double ms) {
  double step = 1;
  if (ms >= 10000) {
    step = 1000;
  } else if (ms >= 1000) {
    step = 100;
  } else if (ms >= 100) {
    step = 10;
  }
  return static_cast<std::int64_t>(std::nearbyint(ms / step) * step);
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN/Infinity
  return detail::py_float(v);
}

void field(std::string& out, std::string_view key, std::string_view value, bool last = false) {
  out += "        ";
  out += json_string(key);
  out += ": ";
  out += value;
  out += last ? "\n" : ",\n";
}

// A {int: count} dict as Python's json.dumps(indent=4) writes it at depth 2 (keys are strings).
template <class ForEach>
std::string int_dict(ForEach&& for_each) {
  std::string out;
  for_each([&](std::int64_t key, std::uint64_t count) {
    out += out.empty() ? "{\n" : ",\n";
    out += fmt::format("            \"{}\": {}", key, count);
  });
  return out.empty() ? "{}" : out + "\n        }";
}

void append_entry(std::string& out, const stats::Entry& e, bool last) {
  out += "    {\n";
  field(out, "name", json_string(e.name));
  field(out, "method", json_string(e.method));
  field(out, "last_request_timestamp",
        e.last_request_timestamp == 0 ? "null" : json_number(e.last_request_timestamp));
  field(out, "start_time", json_number(e.start_time));
  field(out, "num_requests", std::to_string(e.num_requests));
  field(out, "num_none_requests", "0");
  field(out, "num_failures", std::to_string(e.num_failures));
  field(out, "total_response_time",
        json_number(static_cast<double>(e.total_response_time_us) / 1000.0));
  field(out, "max_response_time", json_number(e.max_response_time_ms()));
  field(out, "min_response_time",
        e.num_requests == 0 ? "null" : json_number(e.min_response_time_ms()));
  field(out, "total_content_length", std::to_string(e.total_content_length));
  field(out, "response_times", int_dict([&](auto emit) {
          for (const auto& [ms, n] : locust_response_times(e)) emit(ms, n);
        }));
  field(out, "num_reqs_per_sec", int_dict([&](auto emit) {
          e.reqs_per_sec.for_each([&](std::int64_t sec, std::uint64_t n) { emit(sec, n); });
        }));
  field(out, "num_fail_per_sec", int_dict([&](auto emit) {
          e.fails_per_sec.for_each([&](std::int64_t sec, std::uint64_t n) { emit(sec, n); });
        }),
        true);
  out += last ? "    }\n" : "    },\n";
}

}  // namespace

std::map<std::int64_t, std::uint64_t> locust_response_times(const stats::Entry& e) {
  std::map<std::int64_t, std::uint64_t> out;
  const std::uint64_t lo = e.histogram.min();
  const std::uint64_t hi = e.histogram.max();
  e.histogram.for_each_bucket([&](std::uint64_t lower, std::uint64_t upper, std::uint64_t n) {
    // The bucket's midpoint, clamped to the exact extremes (as Histogram::value_at_rank does).
    const std::uint64_t mid = std::clamp(lower + (upper - lower) / 2, lo, hi);
    out[locust_bucket_ms(static_cast<double>(mid) / 1000.0)] += n;
  });
  return out;
}

std::string json_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  core::append_json_string(out, s, {.escape_del = true, .escape_replacement = true});
  return out;
}

std::string format_json_summary(const stats::Aggregate& a) {
  // RequestStats.serialize_stats(): the per-name entries with a request or a failure; the
  // Aggregated total is not in the list (summing the entries gives it).
  std::vector<const stats::Entry*> entries;
  for (const stats::Entry* e : a.entries()) {
    if (e->num_requests != 0 || e->num_failures != 0) entries.push_back(e);
  }
  if (entries.empty()) return "[]\n";
  std::string out = "[\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    append_entry(out, *entries[i], i + 1 == entries.size());
  }
  out += "]\n";
  return out;
}

}  // namespace loadgen::report
