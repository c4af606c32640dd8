#include "app/run.hpp"

#include <algorithm>
#include <string>

#include "app/environment.hpp"
#include "app/run_support.hpp"
#include "core/version.hpp"
#include "report/console.hpp"

namespace loadgen::app {

int run_headless(const Options& o, const std::map<std::string, std::string>& env, Log& log) {
  // SIGINT/SIGTERM are taken synchronously by this thread (sigtimedwait) and posted to the
  // runner as commands; every thread started from here inherits the blocked mask.
  const sigset_t sigs = block_run_signals();
  int code = kExitOk;
  const std::unique_ptr<Environment> e = Environment::create(o, env, log, code);
  if (!e) return code;
  engine::DrivenRunner& runner = e->runner();
  const int name_width = terminal_name_width();
  log.info("Starting loadgen {} ({} threads)", core::kVersion, worker_threads(o));
  if (e->load_summary().empty()) {
    log.info("Ramping to {} users at a rate of {:.2f} per second", o.users, o.spawn_rate);
  } else {
    log.info("{}", e->load_summary());
  }
  runner.start(o.users, o.spawn_rate);
  // A master's run starts when its workers are there: -t counts from then.
  const bool wait_start = e->master() != nullptr;
  if (o.run_time && !wait_start) log.info("Run time limit set to {} seconds", o.run_time->count());
  double next_print = e->start_s() + 2.0;
  double deadline = o.run_time ? e->start_s() + static_cast<double>(o.run_time->count()) : 0;
  bool started = !wait_start;
  bool stopping = false;  // a stop is posted: a signal now kills the users being stopped
  for (;;) {
    const double now = mono_s();
    e->tick(now);
    if (runner.state() == engine::RunState::kStopped) break;
    if (!started && runner.state() != engine::RunState::kReady) {
      started = true;
      if (o.run_time) {
        deadline = now + static_cast<double>(o.run_time->count());
        log.info("Run time limit set to {} seconds", o.run_time->count());
      }
    }
    if (!stopping && now >= next_print) {
      if (!o.only_summary) {
        print_stderr(report::format_stats_table(e->stats(), true, name_width) + '\n');
      }
      next_print += 2.0;
    }
    if (!stopping && started && o.run_time && now >= deadline) {
      log.info("--run-time limit reached, shutting down");
      runner.quit();
      stopping = true;
      continue;
    }
    double wake = std::min(e->next_due_s(), next_print);
    if (o.run_time) wake = std::min(wake, deadline);
    const double wait_s = stopping ? 0.02 : std::clamp(wake - mono_s(), 0.0, 0.1);
    const int sig = wait_signal(sigs, wait_s);
    if (sig != 0) quit_on_signal(sig, runner, stopping, log);
  }
  return end_run(o, *e, name_width, sigs);
}

}  // namespace loadgen::app
