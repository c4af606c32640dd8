// YAML scenario files: the declarative format (docs/scenario-yaml.md). Private to scenario; the
// app reaches it through scenario/file.hpp.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "scenario/file.hpp"
#include "scenario/scenario.hpp"

namespace loadgen::scenario::yaml {

// Parses and validates a YAML scenario held in `text` (`path` names it in messages and anchors
// relative data files). Every problem is reported at once, "path:line:col: ...".
core::Result<Scenario> load_text(std::string_view text, const std::string& path,
                                 const FileSettings& settings);
core::Result<Scenario> load_file(const std::string& path, const FileSettings& settings);

}  // namespace loadgen::scenario::yaml
