// Option sources for options.cpp: config files (configargparse's DefaultConfigFileParser syntax,
// as Locust 2.12 reads locust.conf) and the environment.
#include "app/options_sources.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace loadgen::app::options_detail {

const OptionSpec* find_spec(std::string_view long_name) {
  for (const OptionSpec& spec : option_specs()) {
    if (spec.long_name == long_name) return &spec;
  }
  return nullptr;
}

// Locust options (2.12 and newer) that loadgen does not implement: named as such rather than
// "unknown", so a copied locust.conf or command line says what is going on.
constexpr std::array<std::string_view, 7> kLocustOnly = {
    "hatch-rate",         "class-picker", "skip-log-setup", "equal-weights",
    "enable-rebalancing", "headful",      "processes"};

std::string unknown_option(std::string_view name_as_written) {
  std::string_view bare = name_as_written;
  while (!bare.empty() && bare.front() == '-') bare.remove_prefix(1);
  if (std::find(kLocustOnly.begin(), kLocustOnly.end(), bare) != kLocustOnly.end()) {
    return fmt::format("'{}' is a Locust option that loadgen does not support", name_as_written);
  }
  return fmt::format("unknown option '{}'", name_as_written);
}

// configargparse's list syntax "[a, b]" (it tries JSON first, so quoted items are unquoted).
bool is_list_syntax(std::string_view v) {
  return v.size() >= 2 && v.front() == '[' && v.back() == ']';
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  std::string_view inner = trim(v.substr(1, v.size() - 2));
  if (inner.empty()) return out;
  while (true) {
    const std::size_t comma = inner.find(',');
    out.emplace_back(unquote(trim(inner.substr(0, comma))));
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::error_code dir_ec;
  if (std::filesystem::is_directory(path, dir_ec)) {  // opens fine on Linux, reads as nothing
    error = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    error = std::filesystem::exists(path, ec) ? "cannot be read" : "no such file";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return std::move(ss).str();
}

// ---- config files ----------------------------------------------------------------------------

// One file in configargparse's DefaultConfigFileParser syntax (the one Locust uses):
//   key = value | key: value | key value | --key = value | key (bare: true) | key = [a, b]
//   blank lines and lines starting with '#', ';', '[' or '---' are skipped;
//   " # comment" or " ; comment" after a value is dropped; matching quotes around a value go.
void parse_config_text(std::string_view text, const std::string& path, Settings& out, Problems& p) {
  // A UTF-8 byte order mark (Windows editors write one) is not part of the first key (Python
  // reads it as U+FEFF and configargparse then fails; we skip it, as the 'utf-8-sig' codec does).
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';' || line.front() == '[' ||
        line.substr(0, 3) == "---") {
      continue;
    }
    std::size_t k = 0;
    while (k < line.size() && std::string_view(":=;#").find(line[k]) == std::string_view::npos &&
           std::isspace(static_cast<unsigned char>(line[k])) == 0) {
      ++k;
    }
    const std::string_view key = line.substr(0, k);
    std::string_view rest = trim(line.substr(k));
    bool explicit_sep = false;
    if (!rest.empty() && (rest.front() == '=' || rest.front() == ':')) {
      explicit_sep = true;
      rest = trim(rest.substr(1));
    }
    // An inline comment needs whitespace before its '#' or ';'.
    for (std::size_t i = 1; i < rest.size(); ++i) {
      if ((rest[i] == '#' || rest[i] == ';') &&
          std::isspace(static_cast<unsigned char>(rest[i - 1]))) {
        rest = trim(rest.substr(0, i));
        break;
      }
    }
    if (key.empty() ||
        (!rest.empty() && (rest.front() == '#' || rest.front() == ';') && !explicit_sep)) {
      p.add(fmt::format("{}:{}: cannot parse '{}' (expected 'key = value')", path, line_no, line));
      continue;
    }
    std::string_view value = unquote(rest);
    const bool bare = rest.empty() && !explicit_sep;

    std::string_view name = key;
    if (name.substr(0, 2) == "--") name.remove_prefix(2);
    if (name == "config") {
      p.add(fmt::format("{}:{}: 'config' cannot be set in a config file", path, line_no));
      continue;
    }
    const OptionSpec* spec = find_spec(name);
    if (spec == nullptr) {
      p.add(fmt::format("{}:{}: {}", path, line_no, unknown_option(key)));
      continue;
    }
    Setting s{SourceKind::kConfigFile, {}, path, line_no, std::string(key)};
    if (bare) {
      s.values.emplace_back("true");
    } else if (is_list_syntax(value)) {
      if (spec->kind != OptionKind::kList && spec->kind != OptionKind::kWords) {
        p.add(fmt::format("{}:{}: {}: a list is only allowed for a repeatable option", path,
                          line_no, key));
        continue;
      }
      s.values = split_list(value);
    } else {
      s.values.emplace_back(value);
    }
    out.insert_or_assign(spec->id, std::move(s));
  }
}

// Reads one config file into `out` (overriding what earlier files set). A missing optional file
// is skipped; a missing --config file is an error.
void read_config_file(const std::string& path, bool required, Settings& out, Problems& p) {
  std::error_code ec;
  if (!required && !std::filesystem::exists(path, ec)) return;
  std::string error;
  auto text = read_file(path, error);
  if (!text) {
    p.add(fmt::format("{}'{}' is not a readable file ({})", required ? "--config: " : "", path,
                      error));
    return;
  }
  parse_config_text(*text, path, out, p);
}

// ---- environment -----------------------------------------------------------------------------

// LOCUST_* / LOADGEN_* variables. An empty variable counts as unset (configargparse would pass
// the empty string on; treating it as unset suits `docker run -e LOCUST_HOST=` style setups).
namespace {

// Locust's environment variables for options loadgen does not implement (argument_parser.py of
// Locust 2.12 and newer), with what to do instead.
struct UnsupportedEnv {
  std::string_view var;
  std::string_view advice;
};
constexpr std::string_view kNoWebUi = "loadgen's web UI does not support this yet";
constexpr std::array<UnsupportedEnv, 8> kUnsupportedEnv = {{
    {"LOCUST_HATCH_RATE", "use LOCUST_SPAWN_RATE (Locust renamed it too)"},
    {"LOCUST_PROCESSES", "use LOADGEN_THREADS (--threads)"},
    {"LOCUST_USERCLASS_PICKER", kNoWebUi},
    {"LOCUST_HEADFUL", kNoWebUi},
    {"LOCUST_WEB_LOGIN", kNoWebUi},
    {"LOCUST_SKIP_LOG_SETUP", "set LOCUST_LOGLEVEL or LOCUST_LOGFILE instead"},
    {"LOCUST_EQUAL_WEIGHTS", "loadgen's scenarios fix their task weights"},
    {"LOCUST_CONFIG_USERS", "set the classes' settings in the scenario file (-f) and LOCUST_USERS"},
}};

// LOCUST_* variables that are not options: Locust's internal tuning and the demo's locustfile
// settings loadgen reads itself.
constexpr std::array<std::string_view, 3> kNotOptions = {
    "LOCUST_HTTP_USER_WEIGHT", "LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_AFTER_STOP",
    "LOCUST_WAIT_FOR_WORKERS_REPORT_AFTER_RAMP_UP"};

}  // namespace

void unsupported_env_warnings(const std::map<std::string, std::string>& env,
                              std::vector<std::string>& warnings) {
  for (const auto& [name, value] : env) {
    if (!name.starts_with("LOCUST_") || value.empty()) continue;
    if (std::find(kNotOptions.begin(), kNotOptions.end(), name) != kNotOptions.end()) continue;
    if (std::any_of(option_specs().begin(), option_specs().end(),
                    [&](const OptionSpec& spec) { return spec.env_var == name; })) {
      continue;
    }
    const auto known = std::find_if(kUnsupportedEnv.begin(), kUnsupportedEnv.end(),
                                    [&](const UnsupportedEnv& u) { return u.var == name; });
    if (known != kUnsupportedEnv.end()) {
      warnings.push_back(fmt::format(
          "{} (environment) is a Locust setting that loadgen does not support; ignored: {}", name,
          known->advice));
    } else {
      warnings.push_back(fmt::format(
          "{} (environment) is not a setting loadgen knows; ignored (see --help for the "
          "LOCUST_* variables loadgen reads)",
          name));
    }
  }
}

void read_env(const std::map<std::string, std::string>& env, Settings& out) {
  for (const OptionSpec& spec : option_specs()) {
    auto it = env.find(std::string(spec.env_var));
    if (it == env.end() || it->second.empty()) continue;
    Setting s{SourceKind::kEnv, {}, it->first, 0, {}};
    if ((spec.kind == OptionKind::kList || spec.kind == OptionKind::kWords) &&
        is_list_syntax(it->second)) {
      s.values = split_list(it->second);
    } else {
      s.values.push_back(it->second);
    }
    out.insert_or_assign(spec.id, std::move(s));
  }
}

}  // namespace loadgen::app::options_detail
