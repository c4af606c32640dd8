// Scenario files (-f/--locustfile): chooses the loader by the file's extension. `.yaml`/`.yml`
// (scenario/yaml) and `.lua` (scenario/lua) produce the same model as the built-ins (Scenario);
// `.py` is refused with a pointer to docs/migrating-from-locust.md (loadgen runs no Python).
#pragma once

#include <string>

#include "core/result.hpp"
#include "scenario/scenario.hpp"

namespace loadgen::scenario {

// Settings a scenario file's users share with the built-ins (from the command line).
struct FileSettings {
  YearMonth today;  // for date-dependent helpers; {0, 0}: unknown
};

// Loads and validates `path`. On error, Error::message lists every problem found, one per line,
// each as "file:line:col: what is wrong" (exit 2 before any load).
core::Result<Scenario> load_scenario_file(const std::string& path, const FileSettings& settings);

}  // namespace loadgen::scenario
