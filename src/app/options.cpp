// Command line, environment and config-file parsing (see options.hpp): the order of the sources.
// CLI11 only tokenizes the command line into raw strings; every source then goes through the same
// conversion (options_apply.cpp) and the rules across options (options_rules.cpp), so messages
// name the source and all problems are reported together.
#include "app/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <thread>
#include <utility>

#include "app/options_convert.hpp"
#include "app/options_help.hpp"
#include "app/options_sources.hpp"
#include "core/version.hpp"

namespace loadgen::app {
namespace {

using namespace options_detail;  // NOLINT(google-build-using-namespace): this file's helpers

ParseResult exit_with(int code, std::string output) {
  ParseResult r;
  r.action = ParseResult::Action::kExit;
  r.exit_code = code;
  r.output = std::move(output);
  return r;
}

}  // namespace

ParseResult parse_options(int argc, const char* const* argv,
                          const std::map<std::string, std::string>& env) {
  // 1. Tokenize the command line. Values stay raw strings; conversion happens below.
  CLI::App cli{"loadgen", "loadgen"};
  cli.set_help_flag();
  cli.allow_extras();
  CLI::Option* help = cli.add_flag("-h,--help");
  CLI::Option* version = cli.add_flag("-V,--version");
  CLI::Option* config =
      cli.add_option("--config")->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::pair<const OptionSpec*, CLI::Option*>> cli_options;
  for (const OptionSpec& spec : option_specs()) {
    std::string names = spec.short_name.empty()
                            ? fmt::format("--{}", spec.long_name)
                            : fmt::format("-{},--{}", spec.short_name, spec.long_name);
    CLI::Option* opt = nullptr;
    switch (spec.kind) {
      case OptionKind::kFlag:
        opt = cli.add_flag(names);
        break;
      case OptionKind::kValue:
        opt = cli.add_option(names)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        break;
      case OptionKind::kList:
        opt = cli.add_option(names)->expected(1)->allow_extra_args(false)->multi_option_policy(
            CLI::MultiOptionPolicy::TakeAll);
        break;
      case OptionKind::kWords:
        opt = cli.add_option(names)
                  ->expected(0, CLI::detail::expected_max_vector_size)
                  ->allow_extra_args(true)
                  ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        break;
    }
    cli_options.emplace_back(&spec, opt);
  }
  try {
    cli.parse(argc, const_cast<char**>(argv));  // CLI11 2.1 takes char**; it does not write.
  } catch (const CLI::ParseError& e) {
    // CLI11 only fails on structure here (values are checked below): an option without its value.
    std::string message = e.what();
    if (e.get_name() == "ArgumentMismatch")
      message = message.substr(0, message.find(':')) + ": missing value";
    return exit_with(kUsageExitCode, fmt::format("{}\n{}\n", message, kUsageHint));
  }
  if (help->count() > 0) return exit_with(0, help_text());
  if (version->count() > 0) return exit_with(0, fmt::format("loadgen {}\n", core::kVersion));

  Problems problems;
  // Leftovers: unknown options, and positional words: Locust's user-class names (checked
  // against the scenario's classes once it is loaded). A word right after an unknown option is
  // most likely its value: one message, not two.
  bool after_unknown = false;
  bool after_dashes = false;
  std::vector<std::string> user_classes;
  for (const std::string& arg : cli.remaining()) {
    if (arg == "--" && !after_dashes) {
      after_dashes = true;
      after_unknown = false;
    } else if (!after_dashes && arg.size() > 1 && arg.front() == '-') {
      problems.add(unknown_option(std::string_view(arg).substr(0, arg.find('='))));
      after_unknown = arg.find('=') == std::string::npos;
    } else {
      if (!after_unknown) user_classes.push_back(arg);
      after_unknown = false;
    }
  }

  // 2. Config files, lowest precedence first: ~/.locust.conf, ./locust.conf, --config FILE.
  Settings settings;
  if (auto home = env.find("HOME"); home != env.end() && !home->second.empty()) {
    read_config_file(home->second + "/.locust.conf", false, settings, problems);
  }
  read_config_file("locust.conf", false, settings, problems);
  std::string config_file;
  if (config->count() > 0) {
    config_file = config->results().back();
    read_config_file(config_file, true, settings, problems);
  }

  // 3. Environment, then 4. the command line, each overriding what came before.
  read_env(env, settings);
  std::vector<std::string> env_warnings;
  unsupported_env_warnings(env, env_warnings);
  for (const auto& [spec, opt] : cli_options) {
    if (opt->count() == 0) continue;
    settings.insert_or_assign(
        spec->id,
        Setting{SourceKind::kCli, opt->results(), fmt::format("--{}", spec->long_name), 0, {}});
  }

  // 5. Convert and validate every setting, collecting all problems.
  ParseResult result;
  Options& o = result.options;
  result.warnings = std::move(env_warnings);
  o.config_file = config_file;
  o.user_classes = std::move(user_classes);
  for (const auto& [id, setting] : settings) apply(id, setting, o, problems);
  o.users_given = settings.contains(OptionId::kUsers);
  if (o.paths.empty()) o.paths.emplace_back("/");
  check_combinations(settings, o, problems);  // the rules across options

  if (!problems.empty()) return exit_with(kUsageExitCode, problems.text());
  return result;
}

int worker_threads(const Options& o) {
  return o.threads > 0 ? o.threads
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace loadgen::app
