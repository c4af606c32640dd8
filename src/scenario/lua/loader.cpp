// Placeholder until the Lua loader lands (issue 12): refuses every file with a clear message.
#include "scenario/lua/loader.hpp"

#include <fmt/format.h>

namespace loadgen::scenario::lua {

core::Result<Scenario> load_file(const std::string& path, const FileSettings&) {
  return core::Error{"unsupported",
                     fmt::format("{}: Lua scenario files are not supported yet", path), ""};
}

}  // namespace loadgen::scenario::lua
