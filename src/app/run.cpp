#include "app/run.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>
#include <variant>

#include "app/app_metrics.hpp"
#include "app/final_flush.hpp"
#include "app/loop_load.hpp"
#include "app/run_plan.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/uuid.hpp"
#include "core/version.hpp"
#include "engine/engine.hpp"
#include "flags/ofrep_config.hpp"
#include "http/url.hpp"
#include "otel/attribute_limits.hpp"
#include "otel/env_config.hpp"
#include "otel/resource.hpp"
#include "report/console.hpp"
#include "report/csv.hpp"
#include "report/json.hpp"
#include "scenario/scenario.hpp"
#include "telemetry/log_pipeline.hpp"
#include "telemetry/metrics_pipeline.hpp"
#include "telemetry/trace_pipeline.hpp"

namespace loadgen::app {

namespace {

double mono_s() { return static_cast<double>(core::mono_ns()) * 1e-9; }

int terminal_name_width() {
  winsize ws{};
  if (isatty(STDERR_FILENO) && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return std::max(report::stats_name_width_for_terminal(ws.ws_col), 40);
  }
  return report::kStatsNameWidth;
}

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

std::string classes_summary(const engine::Engine& e) {
  std::string out = "{";
  const auto& counts = e.class_counts();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (i) out += ", ";
    out += fmt::format("\"{}\": {}", e.scenario().user_classes[i].name, counts[i]);
  }
  out += "}";
  return out;
}

std::string exception_report(const engine::Engine& e) {
  if (e.exceptions().empty()) return {};
  std::string out = "Exception report\n";
  out += fmt::format("{:>12} | {}\n", "# occurrences", "Exception");
  for (const auto& [key, n] : e.exceptions()) {
    const auto& [cls, task, msg] = key;
    out += fmt::format("{:>12} | {}.{}: {}\n", n, cls, task, msg);
  }
  return out;
}

std::vector<report::ExceptionRow> exception_rows(const engine::Engine& e) {
  std::vector<report::ExceptionRow> rows;
  for (const auto& [key, n] : e.exceptions()) {
    const auto& [cls, task, msg] = key;
    rows.push_back(report::ExceptionRow{n, msg, fmt::format("in task {} of user class {}", task, cls), "local"});
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
  return rows;
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

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  return static_cast<bool>(f);
}

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

}  // namespace

int run_headless(const Options& o, const std::map<std::string, std::string>& env, Log& log) {
  // ---- build the run from the options (errors here are usage errors, exit 2) ----
  std::optional<RunPlan> plan = plan_run(o, env, log);
  if (!plan) return kUsageExitCode;
  engine::EngineConfig& cfg = plan->cfg;
  const std::optional<otel::TracesConfig>& traces = plan->traces;
  const std::optional<otel::LogsConfig>& logs_cfg = plan->logs;
  const std::optional<otel::MetricsConfig>& metrics_cfg = plan->metrics;
  const bool export_spans = plan->export_spans;
  const bool export_logs = plan->export_logs;
  const bool export_metrics = plan->export_metrics;
  raise_nofile_limit(o, log);
  AppLogSource app_logs(log, logs_cfg ? logs_cfg->limits : otel::LogRecordLimits{});

  if (export_logs) log.set_record_hook([&app_logs](otel::LogRecord&& r) { app_logs.add(std::move(r)); });
  // app_logs ends with this function: the hook goes first, on every way out (also a throw).
  struct HookReset {
    Log& log;
    ~HookReset() { log.set_record_hook(nullptr); }
  } hook_reset{log};

  // SIGINT/SIGTERM are taken synchronously by this thread (sigtimedwait); the workers,
  // started below, inherit the blocked mask and never see them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<report::CsvWriter> csv;
  if (!o.csv_prefix.empty()) csv = std::make_unique<report::CsvWriter>(o.csv_prefix, o.csv_full_history);

  const double t0 = mono_s();
  engine::Engine eng(std::move(cfg), std::move(plan->scenario), t0, core::wall_seconds());
  // One resource per process (OTel resource/sdk.md): built once, so traces, metrics and logs
  // carry the same service.instance.id, and its warnings are printed once.
  const otel::Resource resource = [&] {
    std::vector<std::string> warnings;
    otel::Resource r = otel::make_resource(env, "loadgen", process_facts(), &warnings);
    for (const auto& w : warnings) log.warning("{}", w);
    return r;
  }();
  for (const auto& a : resource.attributes) {
    if (a.key == "service.name") {
      if (const auto* name = std::get_if<std::string>(&a.value.v)) log.set_service_name(*name);
    }
  }
  std::unique_ptr<telemetry::TracePipeline> spans;
  if (export_spans) {
    spans = std::make_unique<telemetry::TracePipeline>(*traces, resource, eng, &log);
    spans->start();
  }
  // The log pipeline runs in every run: it carries the users' log lines to the console too.
  app_logs.attach(&eng);
  std::unique_ptr<telemetry::LogPipeline> logs;
  {
    otel::LogsConfig lc = logs_cfg ? *logs_cfg : otel::LogsConfig{};
    if (!export_logs) lc.exporters.kinds.clear();
    logs = std::make_unique<telemetry::LogPipeline>(lc, resource, app_logs, &log);
    logs->start();
  }
  std::unique_ptr<AppMetricSource> app_metrics;
  std::unique_ptr<telemetry::MetricsPipeline> metrics;
  if (export_metrics) {
    AppMetricSource::Telemetry t;
    if (spans) {
      t.spans_dropped = [p = spans.get()] { return p->counters().dropped; };
      t.span_export_failures = [p = spans.get()] { return p->counters().failed_exports; };
    }
    t.logs_dropped = [p = logs.get()] { return p->counters().dropped; };
    t.log_export_failures = [p = logs.get()] { return p->counters().failed_exports; };
    app_metrics = std::make_unique<AppMetricSource>(
        eng, *metrics_cfg, std::move(t), static_cast<std::uint64_t>(core::wall_ns()));
    app_metrics->set_target(o.users);
    metrics =
        std::make_unique<telemetry::MetricsPipeline>(*metrics_cfg, resource, *app_metrics, &log);
    if (auto st = metrics->start(); !st) {
      log.error("{} ({})", st.error().message, st.error().hint);
      return kUsageExitCode;
    }
  }
  const int name_width = terminal_name_width();
  const bool periodic_tables = !o.only_summary;

  log.info("Starting loadgen 0.1.0 ({} threads)", std::max(1, o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency())));
  log.info("Ramping to {} users at a rate of {:.2f} per second", o.users, o.spawn_rate);
  eng.set_target(o.users, o.spawn_rate, t0);
  if (o.run_time) log.info("Run time limit set to {} seconds", o.run_time->count());

  bool reset_done = false;
  std::uint64_t announced_ramp = 0;
  // Starting thousands of users at once leaves their first requests' memory free in the
  // allocator; hand it back to the system once the ramp is over.
  std::optional<double> trim_at;
  double next_collect = t0 + 1.0;
  LoopLoadWatch loop_load;
  loop_load.check(eng, log);  // the first sample
  double next_cpu_check = t0 + LoopLoadWatch::kIntervalS;
  double next_print = t0 + 2.0;
  const double deadline = o.run_time ? t0 + static_cast<double>(o.run_time->count()) : 0;
  // A periodic write that fails (EMFILE at the open-files limit, a full disk) is retried at
  // the next tick and said once until it works again; only the final write decides exit 3.
  bool csv_failing = false;
  auto write_csv = [&](bool history) -> core::Status {
    if (!csv) return core::Ok{};
    core::Status st = csv->write_all(eng.stats(), exception_rows(eng));
    if (st && history)
      st = csv->append_history(eng.stats(), static_cast<int>(eng.alive()), core::wall_seconds());
    if (!st && !csv_failing) {
      log.warning("{} (retrying every second)", st.error().message);
      csv_failing = true;
    } else if (st && csv_failing) {
      log.info("--csv: the reports are written again");
      csv_failing = false;
    }
    return st;
  };

  // ---- main loop: ramp, stats, run time, signals ----
  for (;;) {
    const double now = mono_s();
    if (app_metrics) app_metrics->set_target(eng.target());
    eng.tick(now);
    if (eng.state() == engine::RunState::kRunning && announced_ramp != eng.ramp_generation()) {
      // Like Locust, after every ramp (the first, and each change of the user count).
      announced_ramp = eng.ramp_generation();
      log.info("All users spawned: {} ({} total users)", classes_summary(eng), eng.spawned());
      trim_at = now + 1.0;
    }
    if (!reset_done && eng.state() == engine::RunState::kRunning) {
      reset_done = true;  // --reset-stats: once, when the first ramp completes (Locust)
      if (o.reset_stats) {
        log.info("Resetting stats");
        eng.reset_stats(core::wall_seconds());
      }
    }
    if (trim_at && now >= *trim_at) {
      trim_at.reset();
      malloc_trim(0);
    }
    if (now >= next_collect) {
      // A worker that answers later is merged at the next tick: no need to hold the loop.
      eng.collect(std::chrono::milliseconds(500));
      (void)write_csv(true);  // a failure is retried at the next tick
      if (app_metrics)
        app_metrics->set_current_rates(eng.stats().current_rps(eng.stats().total()),
                                       eng.stats().current_fail_per_sec(eng.stats().total()));
      next_collect += 1.0;
    }
    if (now >= next_cpu_check) {
      loop_load.check(eng, log);
      next_cpu_check = now + LoopLoadWatch::kIntervalS;
    }
    if (now >= next_print) {
      if (periodic_tables) {
        std::string table = report::format_stats_table(eng.stats(), true, name_width);
        std::fwrite(table.data(), 1, table.size(), stderr);
        std::fputc('\n', stderr);
        std::fflush(stderr);
      }
      next_print += 2.0;
    }
    if (o.run_time && now >= deadline) {
      log.info("--run-time limit reached, shutting down");
      break;
    }
    double wake = std::min(next_collect, next_print);
    if (o.run_time) wake = std::min(wake, deadline);
    const double wait_s = std::clamp(wake - mono_s(), 0.0, 0.1);
    timespec ts{0, static_cast<long>(wait_s * 1e9)};
    siginfo_t info{};
    const int sig = sigtimedwait(&sigs, &info, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      log.info("Received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
  }

  // ---- stop: graceful within --stop-timeout, then kill; a second signal kills at once ----
  const double stop_start = mono_s();
  eng.stop_all(stop_start);
  const double grace = o.stop_timeout ? static_cast<double>(o.stop_timeout->count()) : 0.0;
  const double give_up = stop_start + grace + 5.0;  // killed users unwind within milliseconds
  while (!eng.idle() && mono_s() < give_up) {
    eng.tick(mono_s());
    timespec ts{0, 20'000'000};
    siginfo_t info{};
    const int sig = sigtimedwait(&sigs, &info, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      log.info("Received another signal, stopping users now");
      eng.kill_all_now();
    }
  }
  if (!eng.idle()) log.warning("{} users did not stop in time; abandoning them", eng.alive());
  // The final collection waits for every worker within the stop bound (at least 2 s): a
  // worker busy at the last tick still hands over everything it counted.
  const auto final_wait = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::max(give_up - mono_s(), 2.0) * 1000.0));
  if (!eng.collect(final_wait)) {
    log.warning(
        "a worker did not hand over its last stats within {} ms; they are missing from "
        "the reports",
        final_wait.count());
  }
  if (app_metrics)  // the final export's rates: as the final stats table has them
    app_metrics->set_current_rates(eng.stats().current_rps(eng.stats().total()),
                                   eng.stats().current_fail_per_sec(eng.stats().total()));

  // ---- reports and summary, before the telemetry flush (a dead collector cannot hold them) ----
  bool report_lost = false;
  if (core::Status st = write_csv(true); !st) {
    log.error("--csv: the final reports could not be written: {}", st.error().message);
    report_lost = true;
  }
  // Tables and log lines go to stderr, as Locust's do: stdout carries only --json.
  std::string summary = report::format_stats_table(eng.stats(), false, name_width);
  summary += '\n';
  summary += report::format_percentiles_table(eng.stats(), name_width);
  summary += '\n';
  summary += report::format_error_report(eng.stats(), name_width);
  summary += exception_report(eng);
  summary += loop_load.summary();
  std::fwrite(summary.data(), 1, summary.size(), stderr);
  std::fflush(stderr);
  if (o.json) {
    const std::string js = report::format_json_summary(eng.stats());
    std::fwrite(js.data(), 1, js.size(), stdout);
    std::fflush(stdout);
  }
  if (!o.json_file.empty() && !write_file(o.json_file, report::format_json_summary(eng.stats()))) {
    log.error("--json-file: cannot write '{}': {}", o.json_file, std::strerror(errno));
    report_lost = true;
  }
  const bool failed = eng.stats().total().num_failures > 0 || eng.exception_count() > 0;
  // A report that could not be written is lost data: that outranks failed requests.
  const int code = report_lost ? kExitFatal : failed ? o.exit_code_on_error : kExitOk;

  // ---- the final telemetry flush: the three signals at once, within --flush-timeout ----
  std::vector<FlushStep> steps;
  // What an abandoned step leaves behind besides the export in flight: its queue.
  auto queued = [](std::size_t n, std::string_view what) {
    return n == 0 ? std::string() : fmt::format("{} {} queued", n, what);
  };
  if (spans) {
    steps.push_back(FlushStep{"traces", [p = spans.get()](auto b) { p->shutdown(b); },
                              [p = spans.get(), queued] { return queued(p->queued(), "spans"); }});
  }
  if (metrics) {
    // The final collection: every request of the run is in the exported histogram. It runs
    // beside the traces' and logs' final exports, so loadgen's own span/log export counters
    // in it may miss the outcome of those last exports (the summary line below has it).
    steps.push_back(FlushStep{"metrics", [p = metrics.get()](auto b) { p->shutdown(b); }, {}});
  }
  steps.push_back(FlushStep{"logs", [p = logs.get()](auto b) { p->shutdown(b); },
                            [p = logs.get(), queued] { return queued(p->queued(), "log records"); }});
  const FlushOutcome flushed = flush_all(std::move(steps), o.flush_timeout, sigs);
  if (flushed.abandoned) {
    // The pipelines' threads still run: end the process here, without destroying them. Every
    // report was written above.
    log.warning("{}: abandoned the final telemetry flush of {}; exiting now (exit code {})",
                flushed.signal == SIGINT    ? "Received SIGINT"
                : flushed.signal == SIGTERM ? "Received SIGTERM"
                                            : "Still flushing well past --flush-timeout",
                flushed.unfinished, code);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  }
  eng.shutdown();

  std::string counters;
  if (spans) {
    const auto c = spans->counters();
    counters += fmt::format(
        "Spans: {} exported, {} dropped, {} in failed exports ({} failed exports, {} retries)\n",
        c.exported, c.dropped, c.failed_items, c.failed_exports, c.retries);
  }
  if (metrics) {
    const auto c = metrics->counters();
    counters += fmt::format("Metrics: {} exports ({} data points), {} failed exports\n", c.exports,
                            c.data_points, c.failed_exports);
  }
  if (export_logs) {
    const auto c = logs->counters();
    counters += fmt::format(
        "Log records: {} exported, {} dropped, {} in failed exports ({} failed exports, {} "
        "retries)\n",
        c.exported, c.dropped, c.failed_items, c.failed_exports, c.retries);
  }
  std::fwrite(counters.data(), 1, counters.size(), stderr);
  std::fflush(stderr);
  log.info("Shutting down (exit code {})", code);
  return code;
}

}  // namespace loadgen::app
