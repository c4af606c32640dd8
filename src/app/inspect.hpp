// Looking at a scenario instead of running it, as Locust 2.12's main.py does: -l/--list prints
// the user classes, --show-task-ratio / --show-task-ratio-json the task execution ratio (after
// the positional class names and -T/-E); each exits without a run and without --host.
#pragma once

#include <map>
#include <string>

#include "app/log.hpp"
#include "app/options.hpp"

namespace loadgen::app {

// True when the options ask for one of the above instead of a run.
bool wants_inspection(const Options& o);

// Prints what was asked on stdout (Locust's format) and returns the exit code: 0, or 2 after
// printing the usage errors (a scenario that does not load, an unknown class name).
int inspect_scenario(const Options& o, const std::map<std::string, std::string>& env, Log& log);

}  // namespace loadgen::app
