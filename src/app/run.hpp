// The headless mode: a thin driver over the Environment and its Runner, on the main thread
// (signals and --run-time posted as commands, periodic stats tables, summary, exit code).
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
