#include <fmt/format.h>

#include "scenario/scenario.hpp"

namespace loadgen::scenario {

std::vector<std::string_view> builtin_scenario_names() { return {"get"}; }

core::Result<Scenario> make_builtin_scenario(std::string_view name, const BuiltinSettings& s) {
  if (name == "get") return make_get_scenario(s.get);
  return core::make_error("unknown_scenario", fmt::format("--scenario: unknown scenario '{}'", name),
                          fmt::format("built-in scenarios: {}",
                                      fmt::join(builtin_scenario_names(), ", ")));
}

}  // namespace loadgen::scenario
