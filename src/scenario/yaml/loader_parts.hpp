// The parts of the YAML loader that compile one top-level section each (private to yaml/).
#pragma once

#include <yaml-cpp/yaml.h>

#include "scenario/scenario.hpp"
#include "scenario/yaml/compiler.hpp"

namespace loadgen::scenario::yaml {

// `data:` (data.cpp): inline lists and CSV/JSON files relative to the scenario file.
void compile_data(Compiler& c, const YAML::Node& data);
// `load:` and `thresholds:` (run_settings.cpp) into the scenario.
void compile_load(Compiler& c, const YAML::Node& load, Scenario::Load& out);
void compile_thresholds(Compiler& c, const YAML::Node& thresholds,
                        std::vector<Scenario::Threshold>& out);

}  // namespace loadgen::scenario::yaml
