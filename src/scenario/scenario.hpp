// A Scenario: the user classes a run simulates. Built-in scenarios are listed in builtin.cpp
// by an explicit switch (no registries filled by static initializers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/method.hpp"
#include "scenario/user.hpp"

namespace loadgen::scenario {

struct Scenario {
  std::string name;
  std::vector<UserClass> user_classes;
  bool needs_host = true;  // relative URLs need --host
};

// Settings for the generic `get` scenario (benchmarks and smoke tests).
struct GetScenarioSettings {
  std::vector<std::string> paths{"/"};  // each user requests them in order, in a loop
  http::Method method = http::Method::kGet;
  std::string body;
  bool json_body = false;
  WaitTime wait_time = WaitTime::constant(0);
};

struct BuiltinSettings {
  GetScenarioSettings get;
};

// Names of the built-in scenarios, for --help and error messages.
std::vector<std::string_view> builtin_scenario_names();
core::Result<Scenario> make_builtin_scenario(std::string_view name, const BuiltinSettings& s);

// The `get` scenario on its own.
Scenario make_get_scenario(const GetScenarioSettings& s);

}  // namespace loadgen::scenario
