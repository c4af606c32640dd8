// The headless run: engine lifecycle driven from the main thread (ramp, periodic stats
// table and CSV, --run-time, signals, graceful stop, final summary, exit code).
#pragma once

#include <map>
#include <string>

#include "app/log.hpp"
#include "app/options.hpp"

namespace loadgen::app {

// Exit codes (docs/exit-codes.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFatal = 3;

// Runs a whole headless test. Returns the process exit code.
int run_headless(const Options& options, const std::map<std::string, std::string>& env, Log& log);

}  // namespace loadgen::app
