// The closed set of ways a request can end. Failures of the target are data: every request
// ends in exactly one Outcome, recorded per request name; none is thrown.
#pragma once

#include <cstdint>
#include <string_view>

namespace loadgen::client {

enum class Outcome : std::uint8_t {
  kOk,                // a 1xx-3xx final response (after redirects)
  kHttpStatus,        // 4xx or 5xx
  kResolve,           // name resolution failed
  kConnectRefused,    // ECONNREFUSED on every address
  kConnectTimeout,    // --connect-timeout elapsed
  kConnect,           // other connect errors (unreachable, ...)
  kTls,               // TLS handshake or certificate verification failed
  kReset,             // connection reset/closed before any response byte (after one retry)
  kReadTimeout,       // --timeout elapsed waiting for the response
  kMalformed,         // the response violates HTTP/1.1 framing (RFC 9112)
  kIncomplete,        // peer closed mid-response (e.g. body shorter than Content-Length)
  kTooManyRedirects,  // more than --max-redirects hops
  kBodyTooLarge,      // a kept body, or any decoded (Content-Encoding) body, beyond --max-body-size
  kCheckFailed,       // the scenario's response check marked it failed (catch_response)
  kCancelled,         // the user was stopped while the request was in flight (not recorded)
};

// Stable lower-case name used as the prefix of error strings and as a metric attribute.
std::string_view to_string(Outcome o);

}  // namespace loadgen::client
