// LocalRunner: the Runner of a single process, over the Engine (Locust's LocalRunner). Any
// thread posts commands; one driving thread calls drive() often (every <= 100 ms, every 20 ms
// while stopping) and is the only one that touches the engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "core/log_sink.hpp"
#include "engine/engine.hpp"
#include "engine/runner.hpp"
#include "plan/load_shape.hpp"

namespace loadgen::engine {

class LocalRunner final : public DrivenRunner {
 public:
  struct Settings {
    bool reset_stats_after_ramp = false;  // --reset-stats: once, when the first ramp completes
    core::LogSink* log = nullptr;         // thread-safe; may be null
    // A load shape (--stages): made at every start, then asked at every drive(); it sets the
    // user count (a start's and a kSetUsers' counts are ignored, as Locust's web UI does with a
    // LoadTestShape) and ends the run when it returns nullopt. Null: none.
    std::function<std::unique_ptr<plan::LoadShape>()> shape;
  };
  // Builds the engine: its workers start, no user yet. now_s: the driving thread's monotonic
  // clock (seconds); now_wall: seconds since the Unix epoch.
  LocalRunner(EngineConfig cfg, scenario::Scenario scenario, Settings settings, double now_s,
              double now_wall);

  void post(Command c) override { inbox_.post(c); }
  RunState state() const override { return state_.load(std::memory_order_acquire); }
  RunnerSnapshot snapshot() const override;

  // A kStart after a stop begins a new run on the same workers, as Locust's start() does:
  // stats and exceptions cleared, new users; while stopping, it waits for the stop to end.
  // After a quit it is ignored, and a kSetUsers after a stop is ignored too.
  // In the open model (EngineConfig::arrivals) a kStart starts the arrival schedule and
  // kSetUsers does nothing.
  // Driving thread. Applies the queued commands in the order they were posted, asks the load
  // shape for its target (a new ramp when it changed; a stop when the shape ends), stops an
  // open-model run whose schedule ended, then ticks the engine (ramp, due kills), announces each
  // completed ramp, applies --reset-stats after the first, merges the workers' stats once a second
  // while the run is up, and ends a stop: when every user has ended or the stop bound
  // (--stop-timeout + 5 s) passed, the final collection, then the state "stopped" (after which it
  // only publishes the final stats to a controller that asks). Returns true when it merged the
  // workers' stats once a second (not at the final collection).
  bool drive(double now_s, double now_wall) override;
  // Driving thread: waits at most `timeout` for a command (the driver's idle wait).
  bool wait_for_command(std::chrono::nanoseconds timeout) override { return inbox_.wait(timeout); }
  // When drive() next merges the workers' stats (monotonic seconds; driving thread).
  double next_collect_s() const override { return next_collect_; }
  // Commands applied so far (driving thread).
  std::uint64_t commands_applied() const { return applied_; }
  // True once a kQuit was applied; the state then goes to "stopped" as after kStop.
  bool quitting() const override { return quit_; }

  // DrivenRunner: the engine's figures.
  const stats::Aggregate& stats() const override { return engine_.stats(); }
  const ExceptionCounts& exceptions() const override { return engine_.exceptions(); }
  std::int64_t alive() const override { return engine_.alive(); }
  std::int64_t target() const override { return engine_.target(); }
  double spawn_rate() const override { return engine_.spawn_rate(); }
  std::uint64_t ramp_generation() const override { return engine_.ramp_generation(); }
  void shutdown() override { engine_.shutdown(); }

  // The engine, for the driving thread, and for wiring its thread-safe sources (spans, logs,
  // metrics, CPU times) into the telemetry pipelines.
  Engine* engine() override { return &engine_; }
  Engine& local_engine() { return engine_; }
  const Engine& local_engine() const { return engine_; }

 private:
  void apply(const Command& c, double now_s, double now_wall);
  // What every start shares: false when the command waits for a stop to end (or after a quit);
  // else a new run after a stop, or the stats cleared at the first start.
  bool begin_run(const Command& c, double now_s, double now_wall);
  void start_or_change(const Command& c, double now_s, double now_wall);
  void set_class_counts(const Command& c, double now_s, double now_wall);
  void new_run(double now_s, double now_wall);
  void begin_stop(double now_s);
  void finish_stop(double now_s);
  void publish();
  void publish_stats();
  void drive_shape(double now_s);

  Engine engine_;
  Settings settings_;
  CommandInbox inbox_;
  std::atomic<RunState> state_{RunState::kReady};
  std::atomic<std::int64_t> users_{0};
  std::atomic<std::int64_t> target_{0};
  std::atomic<std::int64_t> flag_users_{0};
  std::atomic<bool> flag_control_{false};
  mutable std::atomic<bool> snapshot_wanted_{false};
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const stats::Aggregate> snapshot_stats_;
  std::shared_ptr<const ExceptionCounts> snapshot_exceptions_;

  // Driving thread only.
  std::uint64_t applied_ = 0;
  bool quit_ = false;
  bool reset_done_ = false;
  std::uint64_t announced_ramp_ = 0;
  std::optional<double> trim_at_;
  double next_collect_;
  std::optional<double> stop_give_up_;  // set while stopping
  bool stopped_ = false;
  std::optional<Command> start_after_stop_;  // a start posted while stopping
  std::unique_ptr<plan::LoadShape> shape_;   // while a shape drives the run
  double shape_start_s_ = 0;
  std::optional<plan::Target> shape_applied_;
};

}  // namespace loadgen::engine
