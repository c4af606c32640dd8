// loadgen: an OpenTelemetry-native load generator with Locust's knobs.
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "app/inspect.hpp"
#include "app/log.hpp"
#include "app/options.hpp"
#include "app/run.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace loadgen::app;
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  try {
    ParseResult parsed = parse_options(argc, argv, env);
    if (parsed.action == ParseResult::Action::kExit) {
      std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
      return parsed.exit_code;
    }
    Log log;
    if (!log.configure(parsed.options.loglevel, parsed.options.logfile)) {
      std::fprintf(stderr, "loadgen: error: --logfile: cannot open '%s' for writing\n",
                   parsed.options.logfile.c_str());
      return kUsageExitCode;
    }
    for (const std::string& w : parsed.warnings) log.warning("{}", w);
    if (wants_inspection(parsed.options)) return inspect_scenario(parsed.options, env, log);
    if (parsed.options.worker) return run_worker(parsed.options, env, log);
    if (!parsed.options.headless) return run_web(parsed.options, env, log);
    return run_headless(parsed.options, env, log);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen: fatal error: %s\n", e.what());
    return kExitFatal;
  }
}
