#include "app/run_support.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "app/run.hpp"
#include "cluster/master_runner.hpp"
#include "core/clock.hpp"
#include "report/console.hpp"

namespace loadgen::app {

double mono_s() { return static_cast<double>(core::mono_ns()) * 1e-9; }

sigset_t block_run_signals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return sigs;
}

int wait_signal(const sigset_t& sigs, double wait_s) {
  timespec ts{0, static_cast<long>(std::clamp(wait_s, 0.0, 0.999) * 1e9)};
  siginfo_t info{};
  const int sig = sigtimedwait(&sigs, &info, &ts);
  return sig == SIGINT || sig == SIGTERM ? sig : 0;
}

int terminal_name_width() {
  winsize ws{};
  if (isatty(STDERR_FILENO) && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return std::max(report::stats_name_width_for_terminal(ws.ws_col), 40);
  }
  return report::kStatsNameWidth;
}

void print_stderr(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

void quit_on_signal(int sig, engine::Runner& runner, bool& stopping, Log& log) {
  if (stopping) {  // graceful within --stop-timeout; a second signal kills at once
    log.info("Received another signal, stopping users now");
    runner.kill_now();
  } else {
    log.info("Received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    runner.quit();
    stopping = true;
  }
}

int end_run(const Options& o, Environment& e, int name_width, const sigset_t& sigs) {
  // Reports and summary before the telemetry flush; tables and log lines go to stderr, as
  // Locust's do: stdout carries only --json.
  bool report_lost = !e.write_final_csv();
  report_lost = !e.write_html() || report_lost;
  print_stderr(e.summary(name_width));
  report_lost = !e.write_json() || report_lost;
  // A report that could not be written is lost data: that outranks everything; a failed
  // threshold (the run's own pass/fail criteria) outranks failed requests.
  // A master that gave up waiting for its workers (--expect-workers-max-wait) exits 1, as
  // Locust's does.
  const bool no_workers = e.master() != nullptr && e.master()->gave_up_waiting();
  const int code = report_lost             ? kExitFatal
                   : e.thresholds_failed() ? kExitThresholds
                   : no_workers            ? 1
                   : e.failed()            ? o.exit_code_on_error
                                           : kExitOk;
  return e.finish(code, sigs);
}

}  // namespace loadgen::app
