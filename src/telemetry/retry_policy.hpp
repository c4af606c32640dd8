// Retry schedule of the OTLP exporters (protocol/exporter.md "Retry": exponential back-off with
// jitter; numbers are the JS SDK's defaults) and Retry-After parsing (RFC 9110 §10.2.3).
// Pure functions; the exporter owns the random generator.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/random.hpp"

namespace loadgen::telemetry {

struct RetryPolicy {
  std::uint32_t max_retries = 5;  // attempts after the first
  std::chrono::milliseconds initial_backoff{1000};
  double multiplier = 1.5;
  std::chrono::milliseconds max_backoff{5000};
  double jitter = 0.2;  // ±20 %
};

// The delay before retry number `retry` (0 = the first retry): min(initial × multiplier^retry,
// max), scaled by a uniform factor in [1 - jitter, 1 + jitter).
std::chrono::nanoseconds backoff_delay(const RetryPolicy& p, std::uint32_t retry, core::Rng& rng);

// OTLP/HTTP: 429, 502, 503 and 504 are retryable; every other 4xx/5xx is not.
bool is_retryable_http_status(int status);

// Retry-After = HTTP-date / delay-seconds (RFC 9110 §10.2.3). HTTP-date accepts IMF-fixdate and
// the obsolete RFC 850 and asctime forms (§5.6.7). A date in the past gives 0. `now_unix_s` is
// the current wall-clock time. nullopt when the value is neither.
std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view value,
                                                          std::int64_t now_unix_s);

}  // namespace loadgen::telemetry
