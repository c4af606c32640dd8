// MasterRunner: the master of a distributed run (Locust's MasterRunner) as an
// engine::DrivenRunner, so the headless and web drivers, the reports and the web UI serve a
// distributed run as they serve a local one. It binds a ROUTER, registers workers
// (client_ready → ack), ramps the users at the global spawn rate with plan::Dispatcher and
// sends each worker its absolute per-class counts (spawn), merges the workers' stats deltas
// into one Aggregate, marks a worker missing after `heartbeat_liveness` seconds without a
// heartbeat and gives its users to the others, and sends quit to every worker when it quits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/message.hpp"
#include "core/log_sink.hpp"
#include "core/result.hpp"
#include "engine/runner.hpp"
#include "plan/class_picker.hpp"

namespace loadgen::cluster {

class Transport;

// A worker as the master sees it (the web UI's "workers" table; Locust's WorkerNode).
struct WorkerInfo {
  std::string id;
  std::int64_t index = 0;
  std::string state;            // "ready" | "spawning" | "running" | "stopped" | "missing"
  std::int64_t user_count = 0;  // as last reported
  double cpu_usage = 0;         // percent, from its heartbeat
  std::int64_t memory_usage = 0;
};

class MasterRunner final : public engine::DrivenRunner {
 public:
  struct Settings {
    std::string bind_host = "*";
    std::uint16_t bind_port = 5557;  // 0: ephemeral (tests), see port()
    // Headless/autostart: a start waits until this many workers are ready...
    int expect_workers = 1;
    // ...for at most this long (0: forever); then the run quits and gave_up_waiting() is true.
    std::chrono::seconds expect_workers_max_wait{0};
    // True (headless, --autostart): a start waits for expect_workers as above. False (the web
    // UI): a start with no worker connected is refused, as Locust's /swarm does.
    bool wait_for_workers = true;
    // The scenario's classes (names, weights, fixed counts), for the dispatch and the spawn
    // messages' user_classes_count (every class, Locust's order).
    std::vector<std::string> class_names;
    std::vector<plan::ClassPicker::ClassInfo> classes;
    std::optional<std::string> host;  // spawn's "host" (nil: the workers' own)
    std::optional<std::chrono::seconds> stop_timeout;
    std::string version;  // logged against the workers' versions
    core::LogSink* log = nullptr;
    // Liveness (Locust: checked every 1 s from 3; missing below 0; removed at -60).
    std::chrono::milliseconds heartbeat_check_interval{1000};
    int heartbeat_liveness = 3;
    int heartbeat_dead = 60;
    std::size_t max_names = 1000;
    bool reset_stats_after_ramp = false;  // --reset-stats: once, when the first ramp completes
    // After a quit was sent: how long drive() waits for every worker's final stats and quit.
    std::chrono::milliseconds quit_wait{5000};
  };
  // Binds and starts listening (workers may join at once). Errors name the address.
  static core::Result<std::unique_ptr<MasterRunner>> create(Settings s, double now_s,
                                                            double now_wall);
  ~MasterRunner() override;

  std::uint16_t port() const;

  // engine::Runner
  void post(engine::Command c) override;
  engine::RunState state() const override;
  engine::RunnerSnapshot snapshot() const override;
  // engine::DrivenRunner
  bool drive(double now_s, double now_wall) override;
  bool wait_for_command(std::chrono::nanoseconds timeout) override;
  double next_collect_s() const override;
  bool quitting() const override;
  const stats::Aggregate& stats() const override;
  const engine::ExceptionCounts& exceptions() const override;
  std::int64_t alive() const override;
  std::int64_t target() const override;
  double spawn_rate() const override;
  std::uint64_t ramp_generation() const override;
  engine::Engine* engine() override { return nullptr; }
  void shutdown() override;  // sends quit to the workers still known, closes the socket

  // Thread-safe.
  std::vector<WorkerInfo> workers() const;
  int ready_workers() const;              // workers connected and not missing
  bool gave_up_waiting() const;           // expect_workers_max_wait passed
  std::uint64_t protocol_errors() const;  // frames that failed to decode (each logged)

  // Thread-safe: messages of a type a master does not take (each type warned once).
  std::uint64_t unknown_messages() const;

 private:
  struct Impl;
  explicit MasterRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loadgen::cluster
