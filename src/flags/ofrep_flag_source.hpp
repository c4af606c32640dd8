// OfrepFlagSource: scenario::FlagSource over flagd's OFREP HTTP API (POST
// /ofrep/v1/evaluate/flags/{key}), with a per-key cache so the load does not flood flagd.
// Contract: one instance per worker, created, used and destroyed on that worker's EventLoop
// thread; it must outlive every coroutine that evaluates through it. Never throws for flagd's
// failures: on any error the caller gets its default and one rate-limited warning goes to the
// LogSink (naming the flag and the error).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "client/config.hpp"
#include "core/log_sink.hpp"
#include "core/random.hpp"
#include "core/task.hpp"
#include "flags/ofrep_config.hpp"
#include "flags/ofrep_protocol.hpp"
#include "scenario/flag_source.hpp"

namespace loadgen::net {
class EventLoop;
}  // namespace loadgen::net

namespace loadgen::client {
class RequestObserver;
}  // namespace loadgen::client

namespace loadgen::flags {

class OfrepFlagSource final : public scenario::FlagSource {
 public:
  // `log` may be null (warnings dropped). `observer` may be null: flag requests are then not
  // recorded in the load stats (the demo's Locust did not count them either).
  // `shared_warnings` (optional) rate-limits warnings across every worker's source, so a dead
  // flagd prints one line per interval for the whole process; null: this source's own limiter.
  OfrepFlagSource(net::EventLoop& loop, const OfrepConfig& cfg, core::LogSink* log,
                  client::RequestObserver* observer,
                  core::RateLimitedWarning* shared_warnings = nullptr);
  ~OfrepFlagSource();
  OfrepFlagSource(const OfrepFlagSource&) = delete;
  OfrepFlagSource& operator=(const OfrepFlagSource&) = delete;

  // A value younger than cache_ttl is returned without a request. Otherwise the first caller
  // fetches it (waiting at most cfg.timeout); callers arriving while that fetch is in flight
  // get the previous value, or their default if there is none, without waiting. Errors are
  // cached for cache_ttl too, so an unreachable flagd costs one attempt per key per TTL.
  // int_value accepts JSON integers and floats with an integral value; bool_value accepts
  // booleans and the integers 0 and 1 (the demo's loadGeneratorTraffic flag is 0/1).
  // `trace`: the flagd request carries the caller's trace context and becomes a CLIENT span of
  // it (through `observer`); copied before the first suspension, so the caller may go away.
  core::Task<std::int64_t> int_value(std::string_view key, std::int64_t default_value,
                                     const client::RequestTrace* trace) override;
  core::Task<bool> bool_value(std::string_view key, bool default_value,
                              const client::RequestTrace* trace) override;
  bool would_fetch(std::string_view key) const override;

  // Details of the latest evaluation on this worker (OTel semantic conventions feature_flag.*):
  // variant, reason (OpenFeature reasons; CACHED when served from the cache, ERROR on failure),
  // error code (OpenFeature error codes, empty on success) and message.
  const scenario::FlagEvaluation& last_evaluation() const override { return last_; }
  std::string_view provider_name() const override { return "ofrep"; }
  std::string_view context_id() const override { return cfg_.targeting_key; }

 private:
  struct Entry;
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Entry& entry_for(std::string_view key);
  bool needs_fetch(const Entry& e) const;
  core::Task<void> refresh(Entry& e, const client::RequestTrace* trace);
  // Fills last_; on an error, warns and returns false (the caller uses its default).
  bool settle(const Entry& e, bool from_cache, bool value_usable, std::string_view wanted,
              const OfrepValue& default_value);

  net::EventLoop& loop_;
  OfrepConfig cfg_;
  client::ClientConfig client_cfg_;
  std::string base_error_;  // why the flagd address is unusable; empty when it is fine
  std::string origin_;      // http://host:port, for messages
  std::string body_;        // the evaluationRequest body, the same for every flag
  client::RequestObserver* observer_;
  core::RateLimitedWarning own_warnings_;
  core::RateLimitedWarning* warnings_;
  std::unordered_map<std::string, std::unique_ptr<Entry>, KeyHash, std::equal_to<>> entries_;
  core::Rng rng_;  // span ids of flagd requests
  scenario::FlagEvaluation last_;
};

}  // namespace loadgen::flags
