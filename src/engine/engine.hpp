// Engine: the run's workers (one thread each), spawning and stopping users at a rate across
// them, live changes of the user count, and merging the workers' stats off the hot path.
// Contract: every method is called from one controlling thread (the app's main loop).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "client/config.hpp"
#include "engine/run_state.hpp"
#include "engine/worker.hpp"
#include "flags/ofrep_config.hpp"
#include "net/event_loop.hpp"
#include "otel/log_source.hpp"
#include "otel/span_source.hpp"
#include "plan/arrival_schedule.hpp"
#include "plan/class_picker.hpp"
#include "plan/ramp.hpp"
#include "scenario/scenario.hpp"
#include "stats/aggregate.hpp"

namespace loadgen::engine {

// The open model (k6's constant- and ramping-arrival-rate): iterations on `schedule`, served
// by at most `max_users` users across workers.
struct ArrivalConfig {
  std::shared_ptr<const plan::ArrivalSchedule> schedule;
  std::int64_t max_users = 1;
};

struct EngineConfig {
  int threads = 1;
  // The workers' loop nap (net::EventLoop::set_nap); zero: none.
  std::chrono::nanoseconds loop_nap{0};
  client::ClientConfig client;
  net::TlsOptions tls;
  std::uint64_t seed = 0;  // 0 = random
  std::size_t max_names = 1000;
  // Locust --stop-timeout: users being stopped finish their task first, up to this long.
  // Unset: users are killed at once.
  std::optional<std::chrono::nanoseconds> stop_timeout;
  // flagd (OFREP) for scenarios that evaluate flags; unset: every flag has its default.
  std::optional<flags::OfrepConfig> flags;
  core::LogSink* log = nullptr;  // thread-safe; may be null
  // Trace headers on the wire (OTEL_PROPAGATORS) and sampling; unset: none.
  std::optional<scenario::TraceSettings> trace;
  // Finished spans each worker buffers between two drains (OTEL_BSP_MAX_QUEUE_SIZE split over
  // the workers); 0: spans are not recorded.
  std::size_t span_capacity_per_worker = 0;
  // Users' log lines: the level, and the records each worker buffers between two drains
  // (OTEL_BLRP_MAX_QUEUE_SIZE split over the workers); 0: log lines are not recorded.
  scenario::LogSettings logs;
  std::size_t log_capacity_per_worker = 0;
  // http.client.request.duration recorded by the workers; unset: not recorded.
  std::optional<RequestMetricsConfig> request_metrics;
  // How long drain() and collect_metrics() wait for the workers' answers (all of them, not
  // each); a late answer is kept and merged at the next call, never discarded.
  std::chrono::milliseconds drain_wait{1000};
  // Set: the open model (start_arrivals); set_target then does nothing.
  std::optional<ArrivalConfig> arrivals;
  // A distributed worker's engine: collect() also keeps what it merged since the last
  // take_delta() (the stats a worker reports to its master).
  bool keep_deltas = false;
};

// What collect() merged since the previous take_delta(): request stats and task exceptions.
struct StatsDelta {
  stats::Snapshot stats;
  ExceptionCounts exceptions;
};

class Engine final : public otel::SpanSource, public otel::LogSource {
 public:
  Engine(EngineConfig cfg, scenario::Scenario scenario, double now_s, double now_wall);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Moves toward `users` at `spawn_rate` users/s (up or down; may be called while running).
  void set_target(std::int64_t users, double spawn_rate, double now_s);
  // A distributed worker's share (Locust's spawn message): `counts[c]` users of scenario class
  // c (missing classes: 0), reached at once: users are started or the newest of a class
  // stopped. Ends any ramp; "running" afterwards. Ignored while stopping and in the open model.
  void set_class_counts(const std::vector<std::int64_t>& counts, double now_s);
  // Applies the ramp and due kills. Call often (every ≤ 100 ms).
  void tick(double now_s);

  // The open model (cfg.arrivals set): starts every worker's share of the schedule now; users
  // are created on demand. "running" at once.
  void start_arrivals(double now_s);
  bool open_model() const { return cfg_.arrivals.has_value(); }
  // True once every worker's share of a finite schedule has ended (after start_arrivals).
  bool arrivals_done() const;
  // Arrivals that found no free user and no room in the pool, since start_arrivals
  // (thread-safe).
  std::uint64_t iterations_dropped() const;

  // Begins stopping every user (graceful when a stop timeout is set) and stops spawning.
  void stop_all(double now_s);
  // Kills every user now (a second Ctrl-C, or the stop timeout).
  void kill_all_now();
  // After a stop has ended (idle()): back to "ready" on the same workers, so that set_target
  // starts a new run (Locust accepts a /swarm after a stop). Users left over from an abandoned
  // stop are killed; the flag watch starts again. Stats are untouched: see clear_stats.
  void rearm(double now_s);
  // True once every user has ended.
  bool idle() const;

  // Merges the workers' deltas into stats(), waiting at most `timeout` (for all workers). A
  // worker that answers later (its loop was busy) keeps its delta in a pending answer, merged
  // at the next collect(): whatever a worker counted reaches the totals. Returns true when
  // every worker has answered (nothing pending): call it with the stop bound after the users
  // have stopped for the final figures.
  bool collect(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  void reset_stats(double now_wall);
  // With EngineConfig::keep_deltas: everything collect() merged since the previous call (rows
  // with requests or failures, errors, exceptions); empty otherwise.
  StatsDelta take_delta();
  // Locust's clear_all at the start of a run: every row and error removed (reset_stats keeps
  // the rows, zeroed), start_time = now_wall, exceptions cleared. What the workers still hold
  // (at most 2 s of waiting) is dropped with the old run's figures.
  void clear_stats(double now_wall);

  // otel::SpanSource, for the exporter thread (thread-safe; waits at most cfg.drain_wait; a
  // late worker's spans come with the next drain).
  void drain(std::vector<otel::SpanData>& out, std::uint64_t& dropped) override;
  // The same with the CLIENT spans compact (the trace pipeline's); out.spare's buffers go back
  // to the workers.
  void drain_into(otel::SpanDrain& out) override;
  // Each worker calls `ready` when its buffer holds `batch` spans (or half its capacity).
  void on_batch_ready(std::size_t batch, std::function<void()> ready) override;
  // The request metrics as of now (cumulative or delta per the config); empty without them.
  // Metrics thread only (waits at most cfg.drain_wait; late deltas merge at the next call).
  std::vector<otel::Metric> collect_metrics(std::uint64_t now_unix_nano);
  // otel::LogSource: the users' log records (same contract).
  void drain(std::vector<otel::LogRecord>& out, std::uint64_t& dropped) override;

  // Stops the worker threads. Call after the final collect() and the last drain().
  void shutdown();

  RunState state() const { return state_; }
  // Increases with every set_target (a new ramp), so callers can announce each ramp's end.
  std::uint64_t ramp_generation() const { return ramp_generation_; }
  // The spawn rate of the latest set_target (users/s).
  double spawn_rate() const { return ramp_.rate; }
  std::int64_t target() const { return target_; }
  // The scenario's users flag (loadGeneratorVUs): its current value (0: none, or no flag), and
  // whether it set the current target (false once a controller changed the count after it).
  std::int64_t flag_users() const { return flag_users_.load(std::memory_order_relaxed); }
  bool target_from_flag() const { return target_from_flag_; }
  std::int64_t spawned() const { return static_cast<std::int64_t>(live_.size()); }
  std::int64_t alive() const;
  // Users started / ended since the start of the run (all workers; thread-safe).
  std::uint64_t users_started() const;
  // Thread-safe: the workers' connection counters, summed.
  net::ConnectionStats connection_stats() const;
  std::uint64_t users_stopped() const;
  // CPU time used by each worker's thread so far (-1 for one not running); thread-safe.
  std::vector<std::int64_t> worker_cpu_ns() const;
  const stats::Aggregate& stats() const { return stats_; }
  const ExceptionCounts& exceptions() const { return exceptions_; }
  std::uint64_t exception_count() const;
  const scenario::Scenario& scenario() const { return scenario_; }
  const std::optional<std::chrono::nanoseconds>& stop_timeout() const { return cfg_.stop_timeout; }
  // A distributed worker takes its master's --stop-timeout (Locust's spawn message); applies to
  // the stops that begin afterwards.
  void set_stop_timeout(std::optional<std::chrono::nanoseconds> t) { cfg_.stop_timeout = t; }
  // Users per class, as spawned and not yet told to stop.
  const std::vector<std::int64_t>& class_counts() const { return class_counts_; }

 private:
  struct LiveUser {
    std::uint64_t id;
    std::uint32_t worker;
    std::uint32_t cls;
  };
  void spawn_n(std::int64_t n);
  // n users of class cls, started at once.
  void spawn_class(std::size_t cls, std::int64_t n);
  void stop_newest(std::int64_t n, double now_s);
  // Stops the newest n users of class cls.
  void stop_newest_of(std::size_t cls, std::int64_t n, double now_s);
  void stop_ids(std::vector<std::vector<std::uint64_t>> ids, double now_s);
  std::uint64_t seed_for(std::uint64_t id) const;

  EngineConfig cfg_;
  scenario::Scenario scenario_;
  std::unique_ptr<core::RateLimitedWarning> flag_warnings_;
  std::unique_ptr<core::RateLimitedWarning> failure_warnings_;  // transport failures
  std::unique_ptr<RequestMetricStream> request_stream_;         // metrics thread
  std::uint64_t start_unix_nano_ = 0;
  // Answers a worker has not given yet, one slot per worker (an empty future: none pending).
  // Each is owned by the one thread that calls the matching method.
  std::vector<std::future<WorkerReport>> late_reports_;  // collect()
  std::vector<std::future<WorkerSpans>> late_spans_;     // exporter
  std::vector<std::future<std::pair<std::vector<otel::LogRecord>, std::uint64_t>>> late_logs_;
  std::vector<std::future<std::shared_ptr<RequestMetrics::Delta>>> late_metrics_;  // metrics thread
  // Per user class: a client config with the class's own host, or null (the run's).
  std::vector<std::unique_ptr<client::ClientConfig>> class_clients_;
  std::vector<std::unique_ptr<Worker>> workers_;
  plan::ClassPicker picker_;
  std::vector<std::int64_t> class_counts_;
  std::vector<LiveUser> live_;  // in spawn order: stopping takes from the back (newest first)
  std::uint64_t next_id_ = 1;
  std::uint32_t next_worker_ = 0;
  std::uint64_t seed_;
  plan::Ramp ramp_;
  std::int64_t target_ = 0;
  std::uint64_t ramp_generation_ = 0;
  RunState state_ = RunState::kReady;
  struct PendingKill {
    double at_s;
    std::uint32_t worker;
    std::vector<std::uint64_t> ids;
  };
  std::vector<PendingKill> pending_kills_;
  std::optional<double> kill_all_at_;
  // The scenario's users flag (loadGeneratorVUs), watched by worker 0; 0 = no override.
  std::atomic<std::int64_t> flag_users_{0};
  // The open model's pool (users created, across workers) and the ids of its users.
  std::atomic<std::int64_t> pool_{0};
  std::atomic<std::uint64_t> next_pool_id_{1};
  bool arrivals_started_ = false;
  std::int64_t applied_flag_users_ = 0;
  bool target_from_flag_ = false;
  stats::Aggregate stats_;
  ExceptionCounts exceptions_;
  std::unique_ptr<stats::Aggregate> delta_;  // keep_deltas: merged since take_delta()
  ExceptionCounts delta_exceptions_;
};

}  // namespace loadgen::engine
