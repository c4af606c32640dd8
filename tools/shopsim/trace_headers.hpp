// Checks of the W3C propagation headers a shop request carries: `traceparent` (W3C Trace
// Context Level 1 §3.2) and `baggage` (W3C Baggage §3). Used by the shop handler's counters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loadgen::shopsim {

struct TraceparentCheck {
  bool valid = false;
  std::string trace_id;  // 32 lowercase hex when valid
};

// Trace Context §3.2: version 00 is exactly "00-<32 hex>-<16 hex>-<2 hex>", lowercase, ids not
// all zero. Version "ff" is invalid. A higher version is parsed by the §3.2.4 forward-compatible
// rules: the first 55 characters as version 00, then (if longer) a '-' at index 55.
TraceparentCheck check_traceparent(std::string_view value);

struct BaggageCheck {
  bool valid = false;
  bool synthetic = false;  // member synthetic_request=true
  std::string session_id;  // value of member session.id (percent-decoded), empty if none
};

// W3C Baggage §3.3.1: list-member = key OWS "=" OWS value *( OWS ";" OWS property ), keys are
// tokens, values are baggage-octets (percent-encoded otherwise), at most 64 list-members and
// 8192 bytes in all (§3.3.1.1 limits). `values` are the field lines of every baggage header,
// combined as one list (RFC 9110 §5.3).
BaggageCheck check_baggage(const std::vector<std::string_view>& values);

}  // namespace loadgen::shopsim
