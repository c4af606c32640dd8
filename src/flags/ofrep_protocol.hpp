// OFREP wire format (OpenFeature Remote Evaluation Protocol, open-feature/protocol
// service/openapi.yaml, single-flag evaluation): the request path and body, and a pure parser of
// the evaluation response. No I/O; OfrepFlagSource and the ofrep fuzz target use it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace loadgen::flags {

// Why an evaluation fell back to the default value. Closed set: names are stable (warning keys).
enum class EvalError : std::uint8_t {
  kNone,
  kTransport,     // flagd not reachable: resolve, connect, reset, TLS, HTTP framing
  kTimeout,       // connect or response timeout
  kHttpStatus,    // non-2xx without an OFREP error body (401, 403, 429, 5xx, 3xx)
  kMalformed,     // body is not the OFREP shape (not JSON, wrong field types, no errorCode)
  kFlagNotFound,  // errorCode FLAG_NOT_FOUND (404)
  kFlagError,     // another OFREP errorCode: PARSE_ERROR, TARGETING_KEY_MISSING, INVALID_CONTEXT,
                  // GENERAL
  kTypeMismatch,  // the value's JSON type is not the requested one
  kConfig,        // the flagd address in the configuration is not usable
};
std::string_view to_string(EvalError e);

// A structured (object or array) flag value, kept as compact JSON text.
struct JsonText {
  std::string text;
  friend bool operator==(const JsonText&, const JsonText&) = default;
};

// The evaluated value. monostate: the answer had no `value`, i.e. the flag defers to the code
// default (OFREP ADR 0006, codeDefaultFlag); that is a success, not an error.
using OfrepValue = std::variant<std::monostate, bool, std::int64_t, double, std::string, JsonText>;

struct OfrepResult {
  EvalError error = EvalError::kNone;
  OfrepValue value;
  std::string key;      // as echoed by the server (may be empty)
  std::string variant;  // success only
  std::string reason;   // success only: STATIC, TARGETING_MATCH, SPLIT, DISABLED, DEFAULT, ...
  // OpenFeature error code: the server's errorCode, or PARSE_ERROR for a malformed body, or
  // GENERAL for an HTTP status without one. Empty on success.
  std::string error_code;
  std::string error_details;  // errorDetails, or what was wrong with the body

  bool ok() const { return error == EvalError::kNone; }
};

// Parses the answer to POST /ofrep/v1/evaluate/flags/{key}:
//  - 2xx: evaluationSuccess {key, value, variant, reason, metadata}; `value` is a boolean,
//    string, integer, number or object. A 2xx body carrying errorCode is an evaluation failure.
//  - 4xx/5xx: evaluationFailure or flagNotFound {key, errorCode, errorDetails}, or
//    generalErrorResponse {errorDetails}, or no JSON at all (401, 403, 429).
// Never throws; any input gives a result (the fuzz target checks that).
OfrepResult parse_ofrep_response(int http_status, std::string_view body);

// "/ofrep/v1/evaluate/flags/" + the key percent-encoded as one path segment (RFC 3986 §2.1,
// §3.3: unreserved characters kept, every other byte as %XX with uppercase hex).
std::string ofrep_evaluate_path(std::string_view key);

// The evaluationRequest body: {"context":{}} or {"context":{"targetingKey":"..."}}.
std::string ofrep_request_body(std::string_view targeting_key);

}  // namespace loadgen::flags
