// FlagSource: feature flags as scenarios see them (OpenFeature-style typed evaluation).
// The flags module implements it over flagd's OFREP API; scenarios only see this seam (through
// User::flags(), which also traces each evaluation, see user.hpp).
// Contract: called from a user's coroutine on its worker thread; one instance per worker;
// never throws and never stalls a user for long: on any error (flagd down, malformed answer,
// flag missing, wrong type) it returns the default and reports the problem itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/task.hpp"

namespace loadgen::client {
struct RequestTrace;
}  // namespace loadgen::client

namespace loadgen::scenario {

// OpenFeature's evaluation details of the latest evaluation on a worker: what the
// feature_flag.evaluation event carries (OTel semantic conventions, feature_flag.*).
struct FlagEvaluation {
  std::string key;
  std::string variant;     // empty when the provider gave none
  std::string reason;      // OpenFeature reason: STATIC, TARGETING_MATCH, CACHED, DEFAULT, ERROR…
  std::string error_code;  // OpenFeature error code (FLAG_NOT_FOUND, GENERAL…); empty on success
  std::string error_message;  // human-readable, empty on success
  bool from_cache = false;    // no request was made by this evaluation
};

class FlagSource {
 public:
  // `trace` (may be null) is the calling user's trace context: a request made to evaluate the
  // flag carries it (traceparent/baggage) and is recorded as a CLIENT span of that trace. The
  // source copies what it needs before its first suspension.
  virtual core::Task<std::int64_t> int_value(std::string_view key, std::int64_t default_value,
                                             const client::RequestTrace* trace) = 0;
  virtual core::Task<bool> bool_value(std::string_view key, bool default_value,
                                      const client::RequestTrace* trace) = 0;
  // Whether evaluating `key` now would make a request (nothing cached and none in flight).
  virtual bool would_fetch(std::string_view key) const = 0;
  // Details of the latest evaluation on this worker; read it right after the co_await (before
  // the user suspends again).
  virtual const FlagEvaluation& last_evaluation() const = 0;
  // feature_flag.provider.name, e.g. "ofrep".
  virtual std::string_view provider_name() const = 0;
  // feature_flag.context.id (the targeting key); may be empty.
  virtual std::string_view context_id() const { return {}; }

 protected:
  ~FlagSource() = default;
};

}  // namespace loadgen::scenario
