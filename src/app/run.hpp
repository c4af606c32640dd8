// The modes' drivers, thin over the Environment and its Runner, on the main thread: headless
// (signals and --run-time posted as commands, periodic stats tables, summary, exit code) and
// web (the same, with the REST API of web/ serving the controls).
#pragma once

#include <map>
#include <string>

#include "app/log.hpp"
#include "app/options.hpp"

namespace loadgen::app {

// Exit codes (docs/exit-codes.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFatal = 3;
// A threshold failed, or an !abort threshold stopped the run (k6's code for the same).
inline constexpr int kExitThresholds = 99;

// Runs a whole headless test. Returns the process exit code.
int run_headless(const Options& options, const std::map<std::string, std::string>& env, Log& log);
// Runs the web mode (app/run_web.cpp): serves the REST API on --web-host/--web-port until a
// signal or --autoquit. Returns the process exit code (2 when the port cannot be bound).
int run_web(const Options& options, const std::map<std::string, std::string>& env, Log& log);
// Runs a distributed run's worker (app/run_worker.cpp): joins --master-host:--master-port,
// runs the users the master asks for and reports to it, until the master quits it or a signal.
int run_worker(const Options& options, const std::map<std::string, std::string>& env, Log& log);

}  // namespace loadgen::app
