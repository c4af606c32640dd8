// Environment (see environment.hpp) while the run is up: tick() drives the runner and, after
// each stats collection, the CSV reports, the history, the metrics' rates and the !abort
// thresholds.
#include <optional>
#include <vector>

#include "app/environment.hpp"
#include "core/clock.hpp"
#include "flags/flag_watcher.hpp"
#include "report/csv.hpp"
#include "telemetry/metrics_pipeline.hpp"
#include "telemetry/trace_pipeline.hpp"
#include "web/api.hpp"

namespace loadgen::app {

core::Status Environment::write_csv(bool history) {
  // A periodic write that fails (EMFILE at the open-files limit, a full disk) is retried at
  // the next collection and said once until it works again; only the final write decides exit 3.
  if (!csv_) return core::Ok{};
  core::Status st = csv_->write_all(stats(), web::exception_rows(runner_->exceptions()));
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

std::function<std::string()> Environment::prometheus_scrape() {
  if (!metrics_ || !metrics_->serves_prometheus()) return nullptr;
  return [m = metrics_.get()] { return m->scrape(std::chrono::seconds(5)); };
}

}  // namespace loadgen::app
