#include "app/environment.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <utility>
#include <variant>

#include "app/final_flush.hpp"
#include "app/run.hpp"
#include "app/run_plan.hpp"
#include "cluster/master_runner.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/uuid.hpp"
#include "core/version.hpp"
#include "flags/flag_watcher.hpp"
#include "otel/attribute_limits.hpp"
#include "report/console.hpp"
#include "report/csv.hpp"
#include "report/html.hpp"
#include "report/json.hpp"
#include "report/thresholds.hpp"
#include "telemetry/log_pipeline.hpp"
#include "telemetry/metrics_pipeline.hpp"
#include "telemetry/trace_pipeline.hpp"
#include "web/api.hpp"

namespace loadgen::app {

// The log pipeline's source: the users' records from the workers, printed on the console as
// they are drained (the workers never do I/O), plus loadgen's own messages (already printed
// by Log) when they are exported too.
class AppLogSource final : public otel::LogSource {
 public:
  static constexpr std::size_t kMaxPending = 10000;
  AppLogSource(Log& log, otel::LogRecordLimits limits) : log_(log), limits_(limits) {}
  void attach(engine::Engine* eng) { eng_ = eng; }
  void add(otel::LogRecord&& r) {
    std::lock_guard lock(mu_);
    if (pending_.size() >= kMaxPending) {
      ++dropped_;
      return;
    }
    pending_.push_back(std::move(r));
  }
  void drain(std::vector<otel::LogRecord>& out, std::uint64_t& dropped) override {
    const std::size_t first = out.size();
    if (eng_) eng_->drain(out, dropped);
    for (std::size_t i = first; i < out.size(); ++i) log_.write_record(out[i]);
    {
      std::lock_guard lock(mu_);
      for (auto& r : pending_) out.push_back(std::move(r));
      pending_.clear();
      dropped += std::exchange(dropped_, 0);
    }
    // OTEL_LOGRECORD_* limits, here on the pipeline's thread rather than on the workers.
    for (std::size_t i = first; i < out.size(); ++i) {
      otel::limit_attributes(out[i].attributes, out[i].dropped_attributes_count,
                             limits_.attribute_count_limit, limits_.attribute_value_length_limit);
    }
  }

 private:
  Log& log_;
  otel::LogRecordLimits limits_;
  engine::Engine* eng_ = nullptr;
  std::mutex mu_;
  std::vector<otel::LogRecord> pending_;
  std::uint64_t dropped_ = 0;
};

namespace {

double mono_s() { return static_cast<double>(core::mono_ns()) * 1e-9; }

// Raises the soft open-files limit to the hard one (each user holds a connection).
void raise_nofile_limit(const Options& o, Log& log) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    const rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
      log.debug("raised the open-files limit from {} to {}", old, rl.rlim_max);
    }
  }
  const auto needed = static_cast<rlim_t>(o.users) + 64;
  if (needed > rl.rlim_cur) {
    log.warning(
        "--users {} needs about {} open files (one connection per user) but the limit is {} "
        "(hard limit {}); users beyond it will fail to connect. Raise it with `ulimit -Hn` as root "
        "or run fewer users per process.",
        o.users, needed, rl.rlim_cur, rl.rlim_max);
  }
}

std::string exception_report(const engine::ExceptionCounts& exceptions) {
  if (exceptions.empty()) return {};
  std::string out = "Exception report\n";
  out += fmt::format("{:>12} | {}\n", "# occurrences", "Exception");
  for (const auto& [key, n] : exceptions) {
    const auto& [cls, task, msg] = key;
    out += fmt::format("{:>12} | {}.{}: {}\n", n, cls, task, msg);
  }
  return out;
}

std::vector<report::ExceptionRow> exception_rows(const engine::ExceptionCounts& exceptions) {
  return web::exception_rows(exceptions);
}

// Host and process facts for the OTel resource (gathered here: app is where the process's
// environment is read).
otel::ResourceFacts process_facts() {
  otel::ResourceFacts f;
  f.sdk_version = std::string(core::kVersion);  // = scope version, exporter User-Agent
  f.service_version = std::string(core::kVersion);
  core::Rng rng(static_cast<std::uint64_t>(core::wall_ns()) ^ static_cast<std::uint64_t>(getpid()));
  f.service_instance_id = core::uuid4(rng);
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) f.host_name = host;
  utsname u{};
  if (uname(&u) == 0) {
    f.os_type = "linux";
    f.os_description = fmt::format("{} {} {}", u.sysname, u.release, u.version);
    f.host_arch = std::string_view(u.machine) == "x86_64" ? "amd64" : u.machine;
  }
  f.process_pid = getpid();
  char exe[4096] = {};
  if (const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1); n > 0) {
    f.executable_path.assign(exe, static_cast<std::size_t>(n));
    f.executable_name = f.executable_path.substr(f.executable_path.rfind('/') + 1);
  }
  f.runtime_name = "libstdc++";
  f.runtime_version = std::to_string(__GLIBCXX__);
  f.runtime_description = "GCC " __VERSION__;
  return f;
}

// Why `path` cannot be written ("" when it can): the file if it exists, else its directory.
std::string unwritable_reason(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "it is a directory";
  const std::size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, std::max<std::size_t>(slash, 1));
  const bool exists = access(path.c_str(), F_OK) == 0;
  if (access(exists ? path.c_str() : dir.c_str(), exists ? W_OK : W_OK | X_OK) != 0) {
    return std::strerror(errno);
  }
  return {};
}

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  return static_cast<bool>(f);
}

}  // namespace

Environment::HookReset::~HookReset() {
  if (log) log->set_record_hook(nullptr);
}

Environment::Environment(const Options& o, Log& log)
    : o_(o), log_(log), spawn_rate_(o.spawn_rate) {}

Environment::~Environment() = default;

std::unique_ptr<Environment> Environment::create(const Options& o,
                                                 const std::map<std::string, std::string>& env,
                                                 Log& log, int& exit_code) {
  std::unique_ptr<Environment> e(new Environment(o, log));
  exit_code = e->init(env);
  if (exit_code != kExitOk) e.reset();
  return e;
}

int Environment::init(const std::map<std::string, std::string>& env) {
  // ---- build the run from the options (errors here are usage errors, exit 2) ----
  std::optional<RunPlan> plan = plan_run(o_, env, log_);
  if (!plan) return kUsageExitCode;
  export_logs_ = plan->export_logs;
  thresholds_ = std::move(plan->thresholds);
  // A worker's counts are a share of the run: the thresholds are the master's to evaluate.
  if (o_.worker) thresholds_.clear();
  raise_nofile_limit(o_, log_);
  app_logs_ = std::make_unique<AppLogSource>(
      log_, plan->logs ? plan->logs->limits : otel::LogRecordLimits{});
  if (export_logs_) {
    log_.set_record_hook([p = app_logs_.get()](otel::LogRecord&& r) { p->add(std::move(r)); });
  }
  hook_reset_.log = &log_;  // the hook goes first on every way out
  if (!o_.csv_prefix.empty()) {
    csv_ = std::make_unique<report::CsvWriter>(o_.csv_prefix, o_.csv_full_history);
  }
  if (const std::string why = o_.html_file.empty() ? "" : unwritable_reason(o_.html_file);
      !why.empty()) {
    log_.error("--html: cannot write '{}': {}; name a file in a writable directory", o_.html_file,
               why);
    return kUsageExitCode;
  }

  t0_ = mono_s();
  load_summary_ = plan->load_summary;
  engine::LocalRunner::Settings settings{
      .reset_stats_after_ramp = o_.reset_stats, .log = &log_, .shape = nullptr};
  if (!plan->stages.empty()) {
    settings.shape = [stages = plan->stages]() -> std::unique_ptr<plan::LoadShape> {
      return std::make_unique<plan::StagesShape>(stages);
    };
  }
  if (o_.master) {
    // A master runs no user: its workers do (cluster/master_runner.hpp).
    cluster::MasterRunner::Settings ms;
    ms.bind_host = o_.master_bind_host;
    ms.bind_port = static_cast<std::uint16_t>(o_.master_bind_port);
    ms.expect_workers = o_.expect_workers;
    ms.expect_workers_max_wait = o_.expect_workers_max_wait;
    ms.wait_for_workers = o_.headless || o_.autostart;
    ms.reset_stats_after_ramp = o_.reset_stats;
    // The workers stop gracefully for up to --stop-timeout before their final report.
    ms.quit_wait =
        std::chrono::milliseconds(5000) + std::chrono::duration_cast<std::chrono::milliseconds>(
                                              o_.stop_timeout.value_or(std::chrono::seconds(0)));
    for (const scenario::UserClass& c : plan->scenario.user_classes) {
      ms.class_names.push_back(c.name);
      ms.classes.push_back(plan::ClassPicker::ClassInfo{c.weight, c.fixed_count});
    }
    if (!o_.host.empty()) ms.host = o_.host;
    ms.stop_timeout = o_.stop_timeout;
    ms.version = std::string(core::kVersion);
    ms.log = &log_;
    ms.max_names = plan->cfg.max_names;
    auto created = cluster::MasterRunner::create(std::move(ms), t0_, core::wall_seconds());
    if (!created) {
      log_.error("--master: {}{}{}", created.error().message,
                 created.error().hint.empty() ? "" : "; ", created.error().hint);
      return kUsageExitCode;
    }
    master_ = created->get();
    runner_ = std::move(*created);
    log_.info("Master listening for workers on {}:{}", o_.master_bind_host, master_->port());
    users_flag_ = plan->scenario.users_flag;
    if (plan->cfg.flags && !users_flag_.empty()) {
      users_flag_watch_ =
          std::make_unique<flags::FlagWatcher>(*plan->cfg.flags, users_flag_, &log_);
    }
  } else {
    if (o_.worker) {
      plan->cfg.keep_deltas = true;  // the stats a worker reports are deltas
      // The users flag (loadGeneratorVUs) is the master's: it sets the run's user count.
      plan->scenario.users_flag.clear();
    }
    users_flag_ = plan->scenario.users_flag;
    auto local =
        std::make_unique<engine::LocalRunner>(std::move(plan->cfg), std::move(plan->scenario),
                                              std::move(settings), t0_, core::wall_seconds());
    local_ = local.get();
    eng_ = &local->local_engine();
    runner_ = std::move(local);
  }
  // One resource per process (OTel resource/sdk.md): built once, so traces, metrics and logs
  // carry the same service.instance.id, and its warnings are printed once.
  {
    std::vector<std::string> warnings;
    resource_ = otel::make_resource(env, "loadgen", process_facts(), &warnings);
    for (const auto& w : warnings) log_.warning("{}", w);
  }
  for (const auto& a : resource_.attributes) {
    if (a.key == "service.name") {
      if (const auto* name = std::get_if<std::string>(&a.value.v)) log_.set_service_name(*name);
    }
  }
  if (plan->export_spans && eng_) {
    spans_ = std::make_unique<telemetry::TracePipeline>(*plan->traces, resource_, *eng_, &log_);
    spans_->start();
  }
  // The log pipeline runs in every run: it carries the users' log lines to the console too.
  app_logs_->attach(eng_);
  {
    otel::LogsConfig lc = plan->logs ? *plan->logs : otel::LogsConfig{};
    if (!export_logs_) lc.exporters.kinds.clear();
    logs_ = std::make_unique<telemetry::LogPipeline>(lc, resource_, *app_logs_, &log_);
    logs_->start();
  }
  if (plan->export_metrics) {
    AppMetricSource::Telemetry t;
    if (spans_) {
      t.spans_dropped = [p = spans_.get()] { return p->counters().dropped; };
      t.span_export_failures = [p = spans_.get()] { return p->counters().failed_exports; };
    }
    t.logs_dropped = [p = logs_.get()] { return p->counters().dropped; };
    t.log_export_failures = [p = logs_.get()] { return p->counters().failed_exports; };
    app_metrics_ = std::make_unique<AppMetricSource>(*runner_, *plan->metrics, std::move(t),
                                                     static_cast<std::uint64_t>(core::wall_ns()));
    app_metrics_->set_target(o_.users);
    metrics_ = std::make_unique<telemetry::MetricsPipeline>(*plan->metrics, resource_,
                                                            *app_metrics_, &log_);
    if (auto st = metrics_->start(); !st) {
      // A start-up error (the Prometheus port in use): no user has started.
      log_.error("{} ({})", st.error().message, st.error().hint);
      return kUsageExitCode;
    }
  }
  if (eng_) loop_load_.check(*eng_, log_);  // the first sample
  next_cpu_check_ = t0_ + LoopLoadWatch::kIntervalS;
  return kExitOk;
}

core::Status Environment::write_csv(bool history) {
  // A periodic write that fails (EMFILE at the open-files limit, a full disk) is retried at
  // the next collection and said once until it works again; only the final write decides exit 3.
  if (!csv_) return core::Ok{};
  core::Status st = csv_->write_all(stats(), exception_rows(runner_->exceptions()));
  if (st && history)
    st = csv_->append_history(
        stats(), static_cast<int>(runner_->alive()), core::wall_seconds(),
        eng_ && eng_->open_model() ? std::optional(eng_->iterations_dropped()) : std::nullopt);
  if (!st && !csv_failing_) {
    log_.warning("{} (retrying every second)", st.error().message);
    csv_failing_ = true;
  } else if (st && csv_failing_) {
    log_.info("--csv: the reports are written again");
    csv_failing_ = false;
  }
  return st;
}

void Environment::sample_history() {
  HistorySampler::Sample s{
      .wall_s = core::wall_seconds(),
      .mono_ns = core::mono_ns(),
      .users = runner_->alive(),
      .stats = &stats(),
      .worker_cpu_ns = eng_ ? eng_->worker_cpu_ns() : std::vector<std::int64_t>{}};
  if (spans_) {
    const auto c = spans_->counters();
    s.spans_exported = c.exported;
    s.spans_dropped = c.dropped;
  }
  history_sampler_.sample(s, history_);
}

void Environment::tick(double now_s) {
  if (users_flag_watch_) {
    // The master's users flag: a value > 0 sets the run's user count while it is up (as the
    // local engine does), at the run's spawn rate, across the workers.
    const std::int64_t want = users_flag_watch_->value();
    const engine::RunState st = runner_->state();
    if (want > 0 && want != applied_flag_users_ &&
        (st == engine::RunState::kSpawning || st == engine::RunState::kRunning)) {
      applied_flag_users_ = want;
      if (want != runner_->target()) {
        log_.info("flag {} = {}: changing the user count from {} to {}", users_flag_, want,
                  runner_->target(), want);
        runner_->set_users(want, spawn_rate_.load() > 0 ? spawn_rate_.load() : o_.spawn_rate);
      }
    }
  }
  const bool collected = runner_->drive(now_s, core::wall_seconds());
  history_sampler_.observe(runner_->state(), history_);
  const std::int64_t target = runner_->target();
  if (app_metrics_) app_metrics_->set_target(target);
  if (target > peak_target_.load()) peak_target_.store(target);
  if (runner_->ramp_generation() != 0) spawn_rate_.store(runner_->spawn_rate());
  if (collected) {
    (void)write_csv(true);  // a failure is retried at the next collection
    sample_history();
    if (app_metrics_)
      app_metrics_->set_current_rates(stats().current_rps(stats().total()),
                                      stats().current_fail_per_sec(stats().total()));
  }
  const engine::RunState s = runner_->state();
  check_abort_thresholds(s, collected);
  if (s != engine::RunState::kStopping && s != engine::RunState::kStopped &&
      now_s >= next_cpu_check_ && eng_) {
    loop_load_.check(*eng_, log_);
    next_cpu_check_ = now_s + LoopLoadWatch::kIntervalS;
  }
}

void Environment::check_abort_thresholds(engine::RunState state, bool collected) {
  if (last_state_ == engine::RunState::kStopped && state != engine::RunState::kStopped) {
    const std::lock_guard lock(abort_mu_);
    aborted_.reset();  // a new run (web mode): its own verdict
  }
  last_state_ = state;
  if (!collected || thresholds_.empty()) return;
  if (state != engine::RunState::kSpawning && state != engine::RunState::kRunning) return;
  {
    const std::lock_guard lock(abort_mu_);
    if (aborted_) return;
  }
  const stats::Aggregate& a = stats();
  const double now_wall = core::wall_seconds();
  const std::optional<std::size_t> i = stats::first_abort(thresholds_, a, now_wall);
  if (!i) return;
  const stats::Threshold& t = thresholds_[*i];
  const double observed = stats::observe(t, a).value_or(0);
  {
    const std::lock_guard lock(abort_mu_);
    aborted_ = report::ThresholdAbort{*i, observed, now_wall - a.total().start_time};
  }
  log_.error("Threshold '{}' ({}) failed: {} is {}; stopping the run (!abort)", t.expression,
             t.origin, stats::metric_label(t), stats::format_metric_value(t.metric, observed));
  runner_->stop();
}

std::optional<report::ThresholdAbort> Environment::aborted_by() const {
  const std::lock_guard lock(abort_mu_);
  return aborted_;
}

report::ThresholdReport Environment::threshold_report() const {
  return report::ThresholdReport::evaluate(thresholds_, stats(), aborted_by());
}

std::string Environment::thresholds_json() const {
  if (thresholds_.empty()) return "[]";
  const engine::RunnerSnapshot snap = runner_->snapshot();
  const stats::Aggregate empty(core::wall_seconds());
  return report::thresholds_json(report::ThresholdReport::evaluate(
      thresholds_, snap.stats ? *snap.stats : empty, aborted_by()));
}

bool Environment::write_final_csv() {
  if (app_metrics_)  // the final export's rates: as the final stats table has them
    app_metrics_->set_current_rates(stats().current_rps(stats().total()),
                                    stats().current_fail_per_sec(stats().total()));
  // Reports and summary come before the telemetry flush (a dead collector cannot hold them).
  if (core::Status st = write_csv(true); !st) {
    log_.error("--csv: the final reports could not be written: {}", st.error().message);
    return false;
  }
  return true;
}

std::string Environment::summary(int name_width) const {
  std::string out = report::format_stats_table(stats(), false, name_width);
  out += '\n';
  out += report::format_percentiles_table(stats(), name_width);
  out += '\n';
  out += report::format_error_report(stats(), name_width);
  out += exception_report(runner_->exceptions());
  if (eng_ && eng_->open_model()) {
    // k6's dropped_iterations: arrivals the pool could not serve (docs/load-models.md).
    out +=
        fmt::format("Dropped iterations: {} (arrivals that found all --max-users {} users busy)\n",
                    eng_->iterations_dropped(), eng_->target());
  }
  out += report::format_thresholds_table(threshold_report());
  out += loop_load_.summary();
  return out;
}

bool Environment::write_json() {
  bool ok = true;
  if (o_.json) {
    const std::string js = report::format_json_summary(stats());
    // stdout carries nothing but this report: one that cannot be written (a closed pipe, a
    // full disk) is lost data, said and counted as such.
    errno = 0;
    const bool written =
        std::fwrite(js.data(), 1, js.size(), stdout) == js.size() && std::fflush(stdout) == 0;
    if (!written) {
      log_.error("--json: cannot write the report to stdout: {}",
                 errno != 0 ? std::strerror(errno) : "write failed");
      std::clearerr(stdout);
      ok = false;
    }
  }
  if (!o_.json_file.empty() && !write_file(o_.json_file, report::format_json_summary(stats()))) {
    log_.error("--json-file: cannot write '{}': {}", o_.json_file, std::strerror(errno));
    ok = false;
  }
  std::optional<report::ConnectionFigures> conns;
  if (eng_ != nullptr) {
    const auto c = eng_->connection_stats();
    conns = report::ConnectionFigures{.opened = c.opened,
                                      .reused = c.reused,
                                      .taken = c.taken,
                                      .returned = c.returned,
                                      .replaced = c.replaced,
                                      .peak_open = c.peak_open,
                                      .open = c.open,
                                      .pooled = c.pooled};
  }
  if (!o_.summary_json.empty() &&
      !write_file(o_.summary_json, report::format_summary_json(stats(), threshold_report(),
                                                               conns ? &*conns : nullptr))) {
    log_.error("--summary-json: cannot write '{}': {}", o_.summary_json, std::strerror(errno));
    ok = false;
  }
  return ok;
}

std::string Environment::render_html(const stats::Aggregate& a,
                                     const std::vector<report::ExceptionRow>& exceptions) const {
  const report::RunInfo run{.start_wall = a.total().start_time,
                            .end_wall = core::wall_seconds(),
                            .host = o_.host,
                            .scenario = o_.scenario,
                            .users = std::max<std::int64_t>(peak_target_.load(), 0),
                            .spawn_rate = spawn_rate_.load(),
                            .version = std::string(core::kVersion),
                            .trace_link = o_.trace_link};
  const std::vector<stats::HistoryPoint> history = history_.all();
  const report::ThresholdReport thresholds =
      report::ThresholdReport::evaluate(thresholds_, a, aborted_by());
  return report::format_html_report(report::HtmlReport{a, exceptions, history, run, &thresholds});
}

bool Environment::write_html() {
  if (o_.html_file.empty()) return true;
  if (!write_file(o_.html_file, render_html(stats(), exception_rows(runner_->exceptions())))) {
    log_.error("--html: cannot write '{}': {}", o_.html_file, std::strerror(errno));
    return false;
  }
  return true;
}

std::string Environment::html_report() const {
  const engine::RunnerSnapshot snap = runner_->snapshot();
  const stats::Aggregate empty(core::wall_seconds());
  return render_html(snap.stats ? *snap.stats : empty, snap.exceptions
                                                           ? web::exception_rows(*snap.exceptions)
                                                           : std::vector<report::ExceptionRow>{});
}

std::function<std::string()> Environment::prometheus_scrape() {
  if (!metrics_ || !metrics_->serves_prometheus()) return nullptr;
  return [m = metrics_.get()] { return m->scrape(std::chrono::seconds(5)); };
}

bool Environment::failed() const {
  return stats().total().num_failures > 0 || !runner_->exceptions().empty();
}

int Environment::finish(int code, const sigset_t& signals) {
  std::vector<FlushStep> steps;
  // What an abandoned step leaves behind besides the export in flight: its queue.
  auto queued = [](std::size_t n, std::string_view what) {
    return n == 0 ? std::string() : fmt::format("{} {} queued", n, what);
  };
  if (spans_) {
    steps.push_back(FlushStep{"traces", [p = spans_.get()](auto b) { p->shutdown(b); },
                              [p = spans_.get(), queued] { return queued(p->queued(), "spans"); }});
  }
  if (metrics_) {
    // The final collection: every request of the run is in the exported histogram. It runs
    // beside the traces' and logs' final exports, so loadgen's own span/log export counters
    // in it may miss the outcome of those last exports (the summary line below has it).
    steps.push_back(FlushStep{"metrics", [p = metrics_.get()](auto b) { p->shutdown(b); }, {}});
  }
  steps.push_back(
      FlushStep{"logs", [p = logs_.get()](auto b) { p->shutdown(b); },
                [p = logs_.get(), queued] { return queued(p->queued(), "log records"); }});
  const FlushOutcome flushed = flush_all(std::move(steps), o_.flush_timeout, signals);
  if (flushed.abandoned) {
    // The pipelines' threads still run: end the process here, without destroying them. Every
    // report was written before.
    log_.warning("{}: abandoned the final telemetry flush of {}; exiting now (exit code {})",
                 flushed.signal == SIGINT    ? "Received SIGINT"
                 : flushed.signal == SIGTERM ? "Received SIGTERM"
                                             : "Still flushing well past --flush-timeout",
                 flushed.unfinished, code);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  }
  // Read before the shutdown closes them: what the workers' connections did during the run.
  const std::optional<net::ConnectionStats> conns =
      eng_ != nullptr ? std::optional(eng_->connection_stats()) : std::nullopt;
  runner_->shutdown();

  std::string counters;
  if (conns && conns->opened != 0) {
    const auto& c = *conns;
    counters += fmt::format(
        "Connections: {} opened, {} requests on reused connections, {} taken from the pool, {} "
        "handed back, {} replaced (closed while pooled); at most {} open, {} at the end ({} "
        "pooled)\n",
        c.opened, c.reused, c.taken, c.returned, c.replaced, c.peak_open, c.open, c.pooled);
  }
  if (spans_) {
    const auto c = spans_->counters();
    counters += fmt::format(
        "Spans: {} exported, {} dropped, {} in failed exports ({} failed exports, {} retries)\n",
        c.exported, c.dropped, c.failed_items, c.failed_exports, c.retries);
  }
  if (metrics_) {
    const auto c = metrics_->counters();
    counters += fmt::format("Metrics: {} exports ({} data points), {} failed exports\n", c.exports,
                            c.data_points, c.failed_exports);
  }
  if (export_logs_) {
    const auto c = logs_->counters();
    counters += fmt::format(
        "Log records: {} exported, {} dropped, {} in failed exports ({} failed exports, {} "
        "retries)\n",
        c.exported, c.dropped, c.failed_items, c.failed_exports, c.retries);
  }
  std::fwrite(counters.data(), 1, counters.size(), stderr);
  std::fflush(stderr);
  log_.info("Shutting down (exit code {})", code);
  return code;
}

}  // namespace loadgen::app
