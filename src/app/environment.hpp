// Environment: the composition root of a loadgen process (Locust's Environment). It owns the
// one OTel resource (traces, metrics and logs carry the same service.instance.id), the
// runner, the telemetry pipelines (traces, logs, metrics and Prometheus), the writers (CSV
// with its history, JSON) and the final flush. The modes are thin drivers over it: headless
// (app/run.cpp) now; the web UI, master and worker later.
// Thread: the driving thread (the app's main thread, which blocked SIGINT/SIGTERM before
// create(), so that every thread started here inherits the mask); the runner's controls may
// be posted from any thread.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/app_metrics.hpp"
#include "app/history_sampler.hpp"
#include "app/log.hpp"
#include "app/loop_load.hpp"
#include "app/options.hpp"
#include "core/result.hpp"
#include "engine/local_runner.hpp"
#include "otel/resource.hpp"
#include "report/thresholds.hpp"
#include "stats/history.hpp"
#include "stats/threshold.hpp"

namespace loadgen::telemetry {
class TracePipeline;
class LogPipeline;
class MetricsPipeline;
}  // namespace loadgen::telemetry

namespace loadgen::flags {
class FlagWatcher;
}  // namespace loadgen::flags

namespace loadgen::cluster {
class MasterRunner;
}  // namespace loadgen::cluster

namespace loadgen::report {
class CsvWriter;
struct ExceptionRow;
}  // namespace loadgen::report

namespace loadgen::app {

class AppLogSource;

class Environment {
 public:
  // Builds the run the options and the environment describe and starts its pipelines (no
  // user yet). On failure returns null with `exit_code` set (usage errors: 2), after saying why.
  static std::unique_ptr<Environment> create(const Options& o,
                                             const std::map<std::string, std::string>& env,
                                             Log& log, int& exit_code);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // The run's runner: a LocalRunner, or with --master the cluster's MasterRunner.
  engine::DrivenRunner& runner() { return *runner_; }
  // The local runner (null on a master) and the master (null otherwise).
  engine::LocalRunner* local() { return local_; }
  cluster::MasterRunner* master() { return master_; }
  const otel::Resource& resource() const { return resource_; }
  const stats::Aggregate& stats() const { return runner_->stats(); }
  // The scenario's users flag (loadGeneratorVUs), "" when none.
  const std::string& users_flag() const { return users_flag_; }
  double start_s() const { return t0_; }  // monotonic seconds when the run was built
  // The run's time series (the web UI's charts, the HTML report): a point per stats
  // collection, cleared on a stats reset and when a run starts. Thread-safe to read.
  stats::History& history() { return history_; }
  const stats::History& history() const { return history_; }
  // When tick() has work due next (the runner's next stats collection), monotonic seconds.
  double next_due_s() const { return runner_->next_collect_s(); }
  // How the load is driven (stages, an arrival rate), for the start's log line; empty: -u at -r.
  const std::string& load_summary() const { return load_summary_; }

  // Driving thread, often (every <= 100 ms; 20 ms while stopping): drives the runner; after
  // each stats collection writes the CSV reports and history row (a failure is retried at the
  // next one and said once), the metrics' current rates and a point of history(); watches the
  // loops' CPU.
  void tick(double now_s);

  // After the runner stopped, in this order (Locust's): the final CSV reports (false: lost),
  // the summary (the tables for stderr), the --json and --json-file output (false: lost).
  bool write_final_csv();
  std::string summary(int name_width) const;
  bool write_json();
  // --html FILE: the HTML report of the run (false: lost). Driving thread, after the stop.
  bool write_html();
  // The HTML report as of the runner's last snapshot (GET /stats/report). Thread-safe.
  std::string html_report() const;
  bool failed() const;  // a request failed or a task raised
  // The thresholds over the final statistics (driving thread, after the stop): their results
  // and the !abort one that stopped the run, if any. failed(): one failed or aborted the run.
  report::ThresholdReport threshold_report() const;
  bool thresholds_failed() const { return threshold_report().failed(); }
  // GET /stats/loadgen's "thresholds": the JSON array over the runner's last snapshot.
  // Thread-safe.
  std::string thresholds_json() const;
  // With OTEL_METRICS_EXPORTER=prometheus: renders /metrics (thread-safe, waits at most 5 s for
  // the metrics pipeline); else null. Valid until finish().
  std::function<std::string()> prometheus_scrape();

  // The final telemetry flush within --flush-timeout, the three signals at once, SIGINT or
  // SIGTERM from `signals` abandoning it (then the process ends here with `code`, without
  // destroying the pipelines); then the engine's shutdown and the export counters. Returns code.
  int finish(int code, const sigset_t& signals);

 private:
  Environment(const Options& o, Log& log);
  int init(const std::map<std::string, std::string>& env);
  core::Status write_csv(bool history);
  std::string render_html(const stats::Aggregate& a,
                          const std::vector<report::ExceptionRow>& exceptions) const;
  void sample_history();
  // After a stats collection while the run is up: stops the run when an !abort threshold
  // fails (once per run; a new run forgets the abort).
  void check_abort_thresholds(engine::RunState state, bool collected);
  std::optional<report::ThresholdAbort> aborted_by() const;  // thread-safe

  const Options& o_;
  Log& log_;
  double t0_ = 0;
  bool export_logs_ = false;
  std::string load_summary_;
  // Declaration order is teardown order reversed: the pipelines end before the runner whose
  // engine they drain, and Log's hook before the log source it feeds.
  std::unique_ptr<AppLogSource> app_logs_;
  struct HookReset {
    Log* log = nullptr;
    ~HookReset();
  } hook_reset_;
  std::unique_ptr<report::CsvWriter> csv_;
  bool csv_failing_ = false;
  std::unique_ptr<engine::DrivenRunner> runner_;
  engine::LocalRunner* local_ = nullptr;     // runner_ when local
  cluster::MasterRunner* master_ = nullptr;  // runner_ with --master
  engine::Engine* eng_ = nullptr;            // local_'s engine
  std::string users_flag_;
  // A master's users flag (loadGeneratorVUs), evaluated here and applied across the workers.
  std::unique_ptr<flags::FlagWatcher> users_flag_watch_;
  std::int64_t applied_flag_users_ = 0;
  otel::Resource resource_;  // one per process (OTel resource/sdk.md)
  std::unique_ptr<telemetry::TracePipeline> spans_;
  std::unique_ptr<telemetry::LogPipeline> logs_;
  std::unique_ptr<AppMetricSource> app_metrics_;
  std::unique_ptr<telemetry::MetricsPipeline> metrics_;
  LoopLoadWatch loop_load_;
  stats::History history_;
  HistorySampler history_sampler_;
  double next_cpu_check_ = 0;
  std::atomic<std::int64_t> peak_target_{0};  // the most users asked for (the HTML report)
  std::atomic<double> spawn_rate_{0};         // the latest start's or change's (the report)
  std::vector<stats::Threshold> thresholds_;  // the scenario file's, then --threshold's
  engine::RunState last_state_ = engine::RunState::kReady;
  mutable std::mutex abort_mu_;                    // aborted_: set here, read by the web thread
  std::optional<report::ThresholdAbort> aborted_;  // the !abort threshold that stopped the run
};

}  // namespace loadgen::app
