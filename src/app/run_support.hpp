// What the headless and web drivers share: signal handling on the driving thread, the wait
// between ticks, and the end of a run (reports, summary, exit code, telemetry flush).
#pragma once

#include <signal.h>

#include <string>

#include "app/environment.hpp"
#include "app/options.hpp"

namespace loadgen::app {

// Monotonic seconds.
double mono_s();
// Blocks SIGINT/SIGTERM on this thread (so every thread started later inherits the mask; the
// driver takes them with wait_signal) and ignores SIGPIPE. Returns the blocked set.
sigset_t block_run_signals();
// Waits up to wait_s for SIGINT or SIGTERM; returns it, or 0.
int wait_signal(const sigset_t& sigs, double wait_s);
// The console table's name column for stderr's terminal width.
int terminal_name_width();
// Writes text to stderr and flushes.
void print_stderr(const std::string& text);
// A signal while the run is up: the first stops the users gracefully and quits, another kills
// them at once. `stopping` says whether a quit was already posted; it is set.
void quit_on_signal(int sig, engine::Runner& runner, bool& stopping, Log& log);
// After the runner stopped: the final CSV and --html, the summary on stderr, --json, then the exit
// code (3 if a report was lost, else --exit-code-on-error on failures, else 0) and the flush.
int end_run(const Options& o, Environment& e, int name_width, const sigset_t& sigs);

}  // namespace loadgen::app
