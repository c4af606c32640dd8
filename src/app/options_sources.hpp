// Internal to app/options*.cpp: where option values come from (command line, LOCUST_*/LOADGEN_*
// environment, locust.conf files in configargparse's syntax), collected as raw Settings with
// their source, and the Problems list that reports every error at once.
#pragma once

#include <fmt/format.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/options_help.hpp"
#include "core/strings.hpp"

namespace loadgen::app::options_detail {

inline constexpr std::string_view kUsageHint = "Run with --help for usage.";

inline std::string_view trim(std::string_view s) { return core::trim_space(s); }

// Where a setting came from; later enumerators take precedence (Locust: CLI > env > file).
enum class SourceKind { kConfigFile, kEnv, kCli };

struct Setting {
  SourceKind kind = SourceKind::kCli;
  std::vector<std::string> values;  // exactly one for kValue/kFlag; any number for kList
  std::string origin;               // "--users", "LOCUST_USERS" or the config file's path
  int line = 0;                     // config files: 1-based line
  std::string key;                  // config files: the key as written
};

using Settings = std::map<OptionId, Setting>;

class Problems {
 public:
  void add(std::string message) { messages_.push_back(std::move(message)); }

  // "<where>: '<value>' is <phrase>", in the shape that fits the source.
  void bad_value(const Setting& s, std::string_view value, std::string_view phrase) {
    switch (s.kind) {
      case SourceKind::kCli:
        add(fmt::format("{}: '{}' is {}", s.origin, value, phrase));
        return;
      case SourceKind::kEnv:
        add(fmt::format("{}='{}' (environment): {}", s.origin, value, phrase));
        return;
      case SourceKind::kConfigFile:
        add(fmt::format("{}:{}: {}: '{}' is {}", s.origin, s.line, s.key, value, phrase));
        return;
    }
  }

  bool empty() const { return messages_.empty(); }
  std::size_t size() const { return messages_.size(); }
  std::string text() const {
    std::string out;
    for (const std::string& m : messages_) out += m + "\n";
    return out + std::string(kUsageHint) + "\n";
  }

 private:
  std::vector<std::string> messages_;
};

const OptionSpec* find_spec(std::string_view long_name);
// "unknown option 'x'", or that x is a Locust option loadgen does not support.
std::string unknown_option(std::string_view name_as_written);
// configargparse's list syntax "[a, b]".
bool is_list_syntax(std::string_view v);
std::string_view unquote(std::string_view v);
std::vector<std::string> split_list(std::string_view v);
std::optional<std::string> read_file(const std::string& path, std::string& error);

// One config file's text into `out` (later settings override earlier ones).
void parse_config_text(std::string_view text, const std::string& path, Settings& out, Problems& p);
// A missing optional file is skipped; a missing --config file is an error.
void read_config_file(const std::string& path, bool required, Settings& out, Problems& p);
// LOCUST_* / LOADGEN_* variables; an empty variable counts as unset.
void read_env(const std::map<std::string, std::string>& env, Settings& out);
// One warning per non-empty LOCUST_* variable that is not one of loadgen's options (Locust's
// own unsupported options say what to do instead); the command line rejects such options.
void unsupported_env_warnings(const std::map<std::string, std::string>& env,
                              std::vector<std::string>& warnings);

}  // namespace loadgen::app::options_detail
