// Counters and their JSON for the admin endpoints.
#include "admin_stats.hpp"

namespace loadgen::shopsim {

using nlohmann::json;

void AdminStats::record_headers(const std::vector<std::string_view>& traceparent_values,
                                const std::vector<std::string_view>& baggage_values) {
  if (!traceparent_values.empty()) {
    ++traceparent_present_;
    // Trace Context §3.2: more than one traceparent cannot be combined, so it is invalid.
    TraceparentCheck tp;
    if (traceparent_values.size() == 1) tp = check_traceparent(traceparent_values.front());
    if (tp.valid) {
      ++traceparent_valid_;
      if (trace_ids_.size() < kMaxTraceIds && trace_ids_.insert(tp.trace_id).second &&
          trace_id_order_.size() < kMaxListedTraceIds) {
        trace_id_order_.push_back(tp.trace_id);
      }
    }
  }
  if (!baggage_values.empty()) {
    ++baggage_present_;
    const BaggageCheck b = check_baggage(baggage_values);
    if (b.valid) {
      ++baggage_valid_;
      if (b.synthetic) ++baggage_synthetic_;
      if (!b.session_id.empty()) {
        ++baggage_session_id_;
        if (sessions_.size() < kMaxSessions) sessions_.insert(b.session_id);
      }
    }
  }
}

void AdminStats::record_rejection(Route r, int status, std::string_view method,
                                  std::string_view target, std::string_view reason,
                                  std::string_view body) {
  ++routes_[index(r)].rejected;
  if (rejections_.size() == kMaxRejections) rejections_.pop_front();
  rejections_.push_back(Rejection{std::string(route_name(r)), status, std::string(method),
                                  std::string(target.substr(0, 512)), std::string(reason),
                                  std::string(body.substr(0, kBodyExcerpt))});
}

void AdminStats::reset() { *this = AdminStats{}; }

json AdminStats::stats_json() const {
  json routes = json::object();
  for (std::size_t i = 0; i < kRouteCount; ++i) {
    routes[std::string(kRouteNames[i])] = {{"requests", routes_[i].requests},
                                           {"rejected", routes_[i].rejected},
                                           {"errors", routes_[i].errors}};
  }
  return {{"routes", std::move(routes)},
          {"traceparent", {{"present", traceparent_present_}, {"valid", traceparent_valid_}}},
          {"baggage",
           {{"present", baggage_present_},
            {"valid", baggage_valid_},
            {"synthetic", baggage_synthetic_},
            {"session_id", baggage_session_id_}}},
          {"sessions", sessions_.size()},
          {"trace_ids", trace_ids_.size()},
          {"requests_total", requests_total_}};
}

json AdminStats::trace_ids_json() const { return trace_id_order_; }

json AdminStats::rejections_json() const {
  json out = json::array();
  for (const Rejection& r : rejections_) {
    out.push_back({{"route", r.route},
                   {"status", r.status},
                   {"method", r.method},
                   {"target", r.target},
                   {"reason", r.reason},
                   {"body", r.body}});
  }
  return out;
}

}  // namespace loadgen::shopsim
