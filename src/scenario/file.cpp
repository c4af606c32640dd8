#include "scenario/file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "scenario/lua/loader.hpp"
#include "scenario/yaml/loader.hpp"

namespace loadgen::scenario {

namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

}  // namespace

core::Result<Scenario> load_scenario_file(const std::string& path, const FileSettings& settings) {
  const std::string ext = lower_extension(path);
  if (ext == ".py") {
    return core::Error{"unsupported_file",
                       fmt::format("{}: loadgen does not run Python locustfiles", path),
                       "write the scenario in YAML or Lua; docs/migrating-from-locust.md shows the "
                       "OpenTelemetry Demo's locustfile task by task in both"};
  }
  if (ext != ".yaml" && ext != ".yml" && ext != ".lua") {
    return core::Error{"unsupported_file",
                       fmt::format("{}: not a scenario file (expected .yaml, .yml or .lua)", path),
                       ""};
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return core::Error{
        "no_file",
        fmt::format("{}: {}", path,
                    std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"),
        ""};
  }
  auto sc = ext == ".lua" ? lua::load_file(path, settings) : yaml::load_file(path, settings);
  if (sc) sc->source_file = path;
  return sc;
}

}  // namespace loadgen::scenario
