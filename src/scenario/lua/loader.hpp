// Lua scenario files: the scripted format on LuaJIT (docs/scenario-files.md). Private to
// scenario; the app reaches it through scenario/file.hpp.
#pragma once

#include <string>

#include "core/result.hpp"
#include "scenario/file.hpp"
#include "scenario/scenario.hpp"

namespace loadgen::scenario::lua {

// Runs the file once to learn its user classes (errors: "path:line: ..."); every worker thread
// then loads it into an interpreter of its own for its users.
core::Result<Scenario> load_file(const std::string& path, const FileSettings& settings);

}  // namespace loadgen::scenario::lua
