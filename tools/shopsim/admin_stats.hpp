// What shopsim saw, for tests: per-route counters, trace-header checks, distinct sessions and
// trace ids (bounded), and the last rejections. Served as JSON by the admin endpoints
// (/__stats, /__trace_ids, /__last_rejections). Not thread-safe: the shop handler serializes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "routes_table.hpp"
#include "trace_headers.hpp"

namespace loadgen::shopsim {

class AdminStats {
 public:
  static constexpr std::size_t kMaxTraceIds = 100'000;
  static constexpr std::size_t kMaxSessions = 100'000;
  static constexpr std::size_t kMaxListedTraceIds = 10'000;
  static constexpr std::size_t kMaxRejections = 20;
  static constexpr std::size_t kBodyExcerpt = 256;

  // One shop request's trace headers (`traceparent_values`/`baggage_values`: every field line).
  void record_headers(const std::vector<std::string_view>& traceparent_values,
                      const std::vector<std::string_view>& baggage_values);
  void record_request(Route r) {
    ++routes_[index(r)].requests;
    ++requests_total_;
  }
  // A 4xx answer with its reason.
  void record_rejection(Route r, int status, std::string_view method, std::string_view target,
                        std::string_view reason, std::string_view body);
  void record_injected_error(Route r) { ++routes_[index(r)].errors; }
  void reset();

  // {"routes":{name:{"requests","rejected","errors"}},"traceparent":{"present","valid"},
  //  "baggage":{"present","valid","synthetic","session_id"},"sessions","trace_ids",
  //  "requests_total"}
  nlohmann::json stats_json() const;
  nlohmann::json trace_ids_json() const;   // first kMaxListedTraceIds ids seen, in order
  nlohmann::json rejections_json() const;  // newest last

 private:
  struct RouteCounters {
    std::uint64_t requests = 0;
    std::uint64_t rejected = 0;
    std::uint64_t errors = 0;
  };
  struct Rejection {
    std::string route;
    int status = 0;
    std::string method;
    std::string target;
    std::string reason;
    std::string body;
  };
  static std::size_t index(Route r) { return static_cast<std::size_t>(r); }

  std::array<RouteCounters, kRouteCount> routes_{};
  std::uint64_t requests_total_ = 0;
  std::uint64_t traceparent_present_ = 0;
  std::uint64_t traceparent_valid_ = 0;
  std::uint64_t baggage_present_ = 0;
  std::uint64_t baggage_valid_ = 0;
  std::uint64_t baggage_synthetic_ = 0;
  std::uint64_t baggage_session_id_ = 0;
  std::unordered_set<std::string> sessions_;
  std::unordered_set<std::string> trace_ids_;
  std::vector<std::string> trace_id_order_;  // first kMaxListedTraceIds, for /__trace_ids
  std::deque<Rejection> rejections_;
};

}  // namespace loadgen::shopsim
