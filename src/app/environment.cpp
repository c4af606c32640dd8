// Environment (see environment.hpp), building the run: the runner (local, or a cluster's
// master), the one OTel resource and the telemetry pipelines, before any user starts.
#include "app/environment.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>
#include <variant>

#include "app/run.hpp"
#include "app/run_plan.hpp"
#include "cluster/master_runner.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/uuid.hpp"
#include "core/version.hpp"
#include "flags/flag_watcher.hpp"
#include "otel/attribute_limits.hpp"
#include "report/csv.hpp"
#include "telemetry/log_pipeline.hpp"
#include "telemetry/metrics_pipeline.hpp"
#include "telemetry/trace_pipeline.hpp"

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

}  // namespace loadgen::app
