#include "app/run.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "app/environment.hpp"
#include "core/clock.hpp"
#include "core/version.hpp"
#include "report/console.hpp"

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

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

int run_headless(const Options& o, const std::map<std::string, std::string>& env, Log& log) {
  // SIGINT/SIGTERM are taken synchronously by this thread (sigtimedwait) and posted to the
  // runner as commands; every thread started from here inherits the blocked mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int code = kExitOk;
  const std::unique_ptr<Environment> e = Environment::create(o, env, log, code);
  if (!e) return code;
  engine::LocalRunner& runner = e->runner();
  const int name_width = terminal_name_width();
  const unsigned threads = o.threads > 0 ? static_cast<unsigned>(o.threads)
                                         : std::max(1u, std::thread::hardware_concurrency());
  log.info("Starting loadgen {} ({} threads)", core::kVersion, threads);
  log.info("Ramping to {} users at a rate of {:.2f} per second", o.users, o.spawn_rate);
  runner.start(o.users, o.spawn_rate);
  if (o.run_time) log.info("Run time limit set to {} seconds", o.run_time->count());
  double next_print = e->start_s() + 2.0;
  const double deadline = o.run_time ? e->start_s() + static_cast<double>(o.run_time->count()) : 0;
  bool stopping = false;  // a stop is posted: a signal now kills the users being stopped
  for (;;) {
    const double now = mono_s();
    e->tick(now);
    if (runner.state() == engine::RunState::kStopped) break;
    if (!stopping && now >= next_print) {
      if (!o.only_summary) print(report::format_stats_table(e->stats(), true, name_width) + '\n');
      next_print += 2.0;
    }
    if (!stopping && o.run_time && now >= deadline) {
      log.info("--run-time limit reached, shutting down");
      runner.quit();
      stopping = true;
      continue;
    }
    double wake = std::min(e->next_due_s(), next_print);
    if (o.run_time) wake = std::min(wake, deadline);
    const double wait_s = stopping ? 0.02 : std::clamp(wake - mono_s(), 0.0, 0.1);
    timespec ts{0, static_cast<long>(wait_s * 1e9)};
    siginfo_t info{};
    const int sig = sigtimedwait(&sigs, &info, &ts);
    if (sig != SIGINT && sig != SIGTERM) continue;
    if (stopping) {  // graceful within --stop-timeout; a second signal kills at once
      log.info("Received another signal, stopping users now");
      runner.kill_now();
    } else {
      log.info("Received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      runner.quit();
      stopping = true;
    }
  }
  // Reports and summary before the telemetry flush; tables and log lines go to stderr, as
  // Locust's do: stdout carries only --json.
  bool report_lost = !e->write_final_csv();
  print(e->summary(name_width));
  report_lost = !e->write_json() || report_lost;
  // A report that could not be written is lost data: that outranks failed requests.
  code = report_lost ? kExitFatal : e->failed() ? o.exit_code_on_error : kExitOk;
  return e->finish(code, sigs);
}

}  // namespace loadgen::app
