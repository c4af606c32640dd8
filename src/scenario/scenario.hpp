// A Scenario: the user classes a run simulates. Built-in scenarios are listed in builtin.cpp
// by an explicit switch (no registries filled by static initializers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/method.hpp"
#include "plan/stages.hpp"
#include "scenario/people.hpp"
#include "scenario/user.hpp"

namespace loadgen::scenario {

struct Scenario {
  std::string name;
  std::vector<UserClass> user_classes;
  bool needs_host = true;  // relative URLs need --host
  // A flag whose integer value, when > 0, sets the live user count (the demo's
  // loadGeneratorVUs); empty: none.
  std::string users_flag;
  bool uses_flags = false;  // evaluates feature flags: the engine connects a flag provider

  // What a scenario file may say about the run itself (each overridden by its command-line
  // counterpart; empty/unset: not said). `origin`s name file:line:col for error messages.
  struct Load {
    std::vector<plan::Stage> stages;          // closed model: users over time (--stages)
    std::optional<double> arrival_rate;       // open model: iterations/s (--arrival-rate)
    std::vector<plan::Stage> arrival_stages;  // open model, ramping (targets in iterations/s)
    std::optional<std::int64_t> max_users;    // open model's pool (--max-users)
  } load;
  struct Threshold {
    std::string expression;  // as --threshold takes it: "GET /api/cart:p95<200ms"
    bool abort_on_fail = false;
    std::string origin;  // "file.yaml:12:5" or "--threshold"
  };
  std::vector<Threshold> thresholds;
  std::string source_file;  // the -f file it was loaded from; empty: built in
};

// Settings for the generic `get` scenario (benchmarks and smoke tests).
struct GetScenarioSettings {
  std::vector<std::string> paths{"/"};  // each user requests them in order, in a loop
  http::Method method = http::Method::kGet;
  std::string body;
  bool json_body = false;
  WaitTime wait_time = WaitTime::constant(0);
};

struct ShopSettings;

struct BuiltinSettings {
  GetScenarioSettings get;
  // Astronomy Shop: user class weight, wait time (unset: between(1, 10)), people file.
  unsigned shop_user_weight = 9;
  std::optional<WaitTime> shop_wait_time;
  std::string people_file;  // empty: the built-in people
  YearMonth today;          // cards expiring before this month are rejected ({0, 0}: none)
};

// Names of the built-in scenarios, for --help and error messages.
std::vector<std::string_view> builtin_scenario_names();
core::Result<Scenario> make_builtin_scenario(std::string_view name, const BuiltinSettings& s);

// The `get` scenario on its own.
Scenario make_get_scenario(const GetScenarioSettings& s);

}  // namespace loadgen::scenario
