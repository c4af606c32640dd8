// FinalFlush: the last export of the run's telemetry at exit. The signals (traces, metrics,
// logs) flush at the same time, each on its own thread, within ONE bound (--flush-timeout),
// so a collector that accepts and never answers costs the bound once, not once per signal;
// meanwhile the calling thread keeps taking SIGINT/SIGTERM, and one abandons the flush at once.
// Thread: the app's main thread (the one that blocked `signals`).
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace loadgen::app {

struct FlushStep {
  std::string name;                                     // "traces", "metrics", "logs"
  std::function<void(std::chrono::milliseconds)> stop;  // the pipeline's shutdown(bound)
  std::function<std::string()> pending;                 // what is still queued, for the message
};

struct FlushOutcome {
  bool abandoned = false;  // a signal (or a step past the bound's grace) ended the wait
  int signal = 0;          // the signal that did, 0 otherwise
  std::string unfinished;  // "traces (120 spans queued), logs" when abandoned
};

// Runs every step with `bound` and waits for all of them, at most bound + `grace`. When it
// returns abandoned, the unfinished steps' threads still run and refer to their pipelines:
// the caller must end the process (std::_Exit) without destroying them.
FlushOutcome flush_all(std::vector<FlushStep> steps, std::chrono::milliseconds bound,
                       const sigset_t& signals,
                       std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

}  // namespace loadgen::app
