// The Astronomy Shop scenario (the OpenTelemetry Demo's load generator, as a built-in).
#pragma once

#include <memory>
#include <string_view>

#include "scenario/people.hpp"
#include "scenario/scenario.hpp"

namespace loadgen::scenario {

// Flags the demo's load generator evaluates (flagd, OFREP).
inline constexpr std::string_view kFloodFlag = "loadGeneratorFloodHomepage";  // int: GET / N times
inline constexpr std::string_view kTrafficFlag = "loadGeneratorTraffic";      // 0 pauses traffic
inline constexpr std::string_view kUsersFlag = "loadGeneratorVUs";            // > 0: user count

struct ShopSettings {
  unsigned user_weight = 9;  // LOCUST_HTTP_USER_WEIGHT
  WaitTime wait_time = WaitTime::between(1, 10);
  std::shared_ptr<const People> people;  // never null when the scenario runs
};

Scenario make_astronomy_shop_scenario(const ShopSettings& settings);

}  // namespace loadgen::scenario
