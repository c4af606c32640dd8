// Placeholder until the YAML loader lands (issue 12): refuses every file with a clear message.
#include "scenario/yaml/loader.hpp"

#include <fmt/format.h>

namespace loadgen::scenario::yaml {

core::Result<Scenario> load_text(std::string_view, const std::string& path, const FileSettings&) {
  return core::Error{"unsupported",
                     fmt::format("{}: YAML scenario files are not supported yet", path), ""};
}

core::Result<Scenario> load_file(const std::string& path, const FileSettings& settings) {
  return load_text("", path, settings);
}

}  // namespace loadgen::scenario::yaml
