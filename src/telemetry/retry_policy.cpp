#include "telemetry/retry_policy.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace loadgen::telemetry {

std::chrono::nanoseconds backoff_delay(const RetryPolicy& p, std::uint32_t retry, core::Rng& rng) {
  const double initial = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(p.initial_backoff).count());
  const double cap = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(p.max_backoff).count());
  double d = std::min(initial * std::pow(p.multiplier, static_cast<double>(retry)), cap);
  d *= rng.uniform(1.0 - p.jitter, 1.0 + p.jitter);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::max(d, 0.0)));
}

bool is_retryable_http_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view value,
                                                          std::int64_t now_unix_s) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::nanoseconds(std::chrono::hours(24 * 365));
    std::int64_t s = 0;
    for (char c : value) s = s * 10 + (c - '0');
    return std::chrono::seconds(s);
  }
  // RFC 9110 §5.6.7: IMF-fixdate, then the obsolete rfc850-date and asctime-date.
  const std::string text(value);
  for (const char* fmt :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    struct tm tm {};
    const char* end = strptime(text.c_str(), fmt, &tm);
    if (end == nullptr || *end != '\0') continue;
    const std::int64_t at = static_cast<std::int64_t>(timegm(&tm));
    return std::chrono::seconds(std::max<std::int64_t>(0, at - now_unix_s));
  }
  return std::nullopt;
}

}  // namespace loadgen::telemetry
