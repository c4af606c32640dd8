// Runner: the interface every mode drives (headless, later the web UI and the master). The
// controls post commands to an inbox and return at once, from any thread; the runner's
// driving thread applies them in order and is the only thread that touches the load. The
// local runner (engine/local_runner.hpp) implements it over the Engine; the master will.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/command_inbox.hpp"
#include "engine/exception_counts.hpp"
#include "engine/run_state.hpp"
#include "stats/aggregate.hpp"

namespace loadgen::engine {

// A distributed run's worker as the master sees it (Locust's /stats/requests "workers").
struct NodeRow {
  std::string id;
  std::string state;  // "ready" | "spawning" | "running" | "stopping" | "missing"
  std::int64_t user_count = 0;
  double cpu_usage = 0;           // percent of a core, from its heartbeat
  std::int64_t memory_usage = 0;  // RSS bytes
};

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
  // A master's workers (set on a master only, possibly empty).
  std::optional<std::vector<NodeRow>> workers{};
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

class Engine;

// What the app's driving thread needs of a runner besides the controls: the local runner
// (one process) and the cluster's master implement it, so that one Environment, one web UI
// and the same reports serve both. Methods marked "driving thread" are called only there.
class DrivenRunner : public Runner {
 public:
  // Driving thread, often (every <= 100 ms; 20 ms while stopping): applies the queued
  // commands and advances the run. True when it merged fresh stats (about once a second).
  virtual bool drive(double now_s, double now_wall) = 0;
  // Driving thread: waits at most `timeout` for a command.
  virtual bool wait_for_command(std::chrono::nanoseconds timeout) = 0;
  // When drive() next merges stats (monotonic seconds; driving thread).
  virtual double next_collect_s() const = 0;
  // True once a kQuit was applied (driving thread).
  virtual bool quitting() const = 0;
  // The merged stats and exceptions (driving thread).
  virtual const stats::Aggregate& stats() const = 0;
  virtual const ExceptionCounts& exceptions() const = 0;
  // Users alive: thread-safe (the metrics thread reads it).
  virtual std::int64_t alive() const = 0;
  // Driving thread: the target, the latest spawn rate, and a number that grows with every new
  // ramp.
  virtual std::int64_t target() const = 0;
  virtual double spawn_rate() const = 0;
  virtual std::uint64_t ramp_generation() const = 0;
  // The engine of a local run (its spans, logs, metrics and CPU); null on a master.
  virtual Engine* engine() = 0;
  // Ends the run's threads (after the final collection and the telemetry flush).
  virtual void shutdown() = 0;
};

}  // namespace loadgen::engine
