// Where flagd's OFREP endpoint is and how the flag cache behaves. The app builds it from the
// process environment (FLAGD_HOST, FLAGD_OFREP_PORT, as the OpenTelemetry Demo sets them).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "core/result.hpp"
#include "http/url.hpp"

namespace loadgen::flags {

struct OfrepConfig {
  std::string host = "localhost";             // FLAGD_HOST (name or IP literal, no port)
  std::uint16_t port = 8016;                  // FLAGD_OFREP_PORT
  std::chrono::milliseconds cache_ttl{1000};  // how long an evaluated value is reused
  std::chrono::milliseconds timeout{1000};    // per evaluation request (connect and response)
  std::chrono::seconds warn_interval{30};     // rate limit of warnings per flag + error kind
  std::string targeting_key;                  // context.targetingKey when not empty
};

// Reads FLAGD_HOST and FLAGD_OFREP_PORT from `env`; absent or empty variables keep the
// defaults. FLAGD_PORT is ignored: it is flagd's gRPC port, not OFREP's. Errors (code
// "bad_value") name the variable and its value.
core::Result<OfrepConfig> ofrep_config_from_env(const std::map<std::string, std::string>& env);

// http://host:port/ as a URL for the HTTP client (IPv6 literals bracketed). Error (code
// "bad_value") when the host is not a usable URL host.
core::Result<http::Url> ofrep_base_url(const OfrepConfig& cfg);

}  // namespace loadgen::flags
