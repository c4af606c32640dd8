// Runner: the interface every mode drives (headless, later the web UI and the master). The
// controls post commands to an inbox and return at once, from any thread; the runner's
// driving thread applies them in order and is the only thread that touches the load. The
// local runner (engine/local_runner.hpp) implements it over the Engine; the master will.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "engine/command_inbox.hpp"
#include "engine/exception_counts.hpp"
#include "engine/run_state.hpp"
#include "stats/aggregate.hpp"

namespace loadgen::engine {

// What a controller reads from any thread.
struct RunnerSnapshot {
  RunState state = RunState::kReady;
  std::int64_t user_count = 0;  // users alive (Locust's "user_count")
  std::int64_t target = 0;      // users the run moves toward
  // The scenario's users flag (loadGeneratorVUs): its value (0: none) and whether it set the
  // target (else a controller did: the UI, /swarm, -u).
  std::int64_t flag_users = 0;
  bool flag_control = false;
  // The open model's dropped iterations so far (docs/load-models.md); unset in the closed model.
  std::optional<std::uint64_t> iterations_dropped;
  // The stats as of the last collection (about once a second) after a snapshot was asked
  // for; null until then.
  std::shared_ptr<const stats::Aggregate> stats;
  // The tasks that threw, as of the same collection; null until then.
  std::shared_ptr<const ExceptionCounts> exceptions;
};

class Runner {
 public:
  virtual ~Runner() = default;

  // Thread-safe: queues `c` for the driving thread.
  virtual void post(Command c) = 0;
  // Thread-safe.
  virtual RunState state() const = 0;
  virtual RunnerSnapshot snapshot() const = 0;

  // The controls, thread-safe (each posts one command).
  void start(std::int64_t users, double spawn_rate) {
    post(Command{Command::Kind::kStart, users, spawn_rate});
  }
  void set_users(std::int64_t users, double spawn_rate) {
    post(Command{Command::Kind::kSetUsers, users, spawn_rate});
  }
  void stop() { post(Command{Command::Kind::kStop}); }
  void kill_now() { post(Command{Command::Kind::kKillNow}); }
  void reset_stats() { post(Command{Command::Kind::kResetStats}); }
  void quit() { post(Command{Command::Kind::kQuit}); }
};

}  // namespace loadgen::engine
