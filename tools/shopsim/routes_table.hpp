// The shop routes shopsim knows (names used by --latency/--error-rate and in /__stats), and
// the per-route knobs. Shared by options parsing, the shop handler and the admin counters.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

namespace loadgen::shopsim {

// kOther collects unknown paths (404) and wrong methods on known paths (405).
enum class Route {
  kIndex,
  kProducts,
  kProduct,
  kRecommendations,
  kAds,
  kCartGet,
  kCartPost,
  kCartDelete,
  kCheckout,
  kOther,
};
inline constexpr std::size_t kRouteCount = 10;

inline constexpr std::array<std::string_view, kRouteCount> kRouteNames = {
    "index",    "products",  "product",     "recommendations", "ads",
    "cart_get", "cart_post", "cart_delete", "checkout",        "other"};

inline std::string_view route_name(Route r) { return kRouteNames[static_cast<std::size_t>(r)]; }

// The names accepted on the command line (every route but kOther).
inline std::optional<Route> parse_route(std::string_view name) {
  for (std::size_t i = 0; i + 1 < kRouteCount; ++i) {
    if (kRouteNames[i] == name) return static_cast<Route>(i);
  }
  return std::nullopt;
}

struct RouteKnobs {
  std::chrono::nanoseconds latency{0};  // added before the answer (timer, not a sleep)
  double error_rate = 0.0;              // fraction of requests answered 500
};

using RouteKnobTable = std::array<RouteKnobs, kRouteCount>;

}  // namespace loadgen::shopsim
