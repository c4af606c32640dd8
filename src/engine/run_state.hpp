// The state of a run, named as Locust names it (runners.py STATE_*; the "state" of
// /stats/requests and of a worker's heartbeat): ready, spawning, running, stopping, stopped.
#pragma once

#include <string_view>

namespace loadgen::engine {

enum class RunState { kReady, kSpawning, kRunning, kStopping, kStopped };

// Locust's string for the state.
constexpr std::string_view to_string(RunState s) {
  switch (s) {
    case RunState::kReady:
      return "ready";
    case RunState::kSpawning:
      return "spawning";
    case RunState::kRunning:
      return "running";
    case RunState::kStopping:
      return "stopping";
    case RunState::kStopped:
      return "stopped";
  }
  return "unknown";
}

}  // namespace loadgen::engine
