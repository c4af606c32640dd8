// The web mode: a thin driver over the Environment and its Runner, like the headless one,
// with the REST API of web/ served on its own thread. The runner waits for a start from the
// API (or starts at once with --autostart); -t counts from the start; --autoquit ends the
// process that long after a run stopped; SIGINT/SIGTERM end it as in headless mode.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "app/environment.hpp"
#include "app/run.hpp"
#include "app/run_support.hpp"
#include "core/clock.hpp"
#include "core/version.hpp"
#include "report/console.hpp"
#include "web/web_server.hpp"

namespace loadgen::app {

int run_web(const Options& o, const std::map<std::string, std::string>& env, Log& log) {
  const sigset_t sigs = block_run_signals();
  int code = kExitOk;
  const std::unique_ptr<Environment> e = Environment::create(o, env, log, code);
  if (!e) return code;
  engine::DrivenRunner& runner = e->runner();
  const int name_width = terminal_name_width();
  // A /swarm run_time (seconds; -1 none), handed from the server's thread to this one.
  std::atomic<std::int64_t> swarm_run_time{-1};
  web::WebServer server;
  const std::string bind = o.web_host.empty() || o.web_host == "*" ? "0.0.0.0" : o.web_host;
  const web::ApiSettings api{
      .host = o.host,
      .wall_now = [] { return core::wall_seconds(); },
      .history_csv_path = o.csv_full_history ? o.csv_prefix + "_stats_history.csv" : "",
      .on_run_time = [&swarm_run_time](std::chrono::seconds t) { swarm_run_time.store(t.count()); },
      .metrics = e->prometheus_scrape(),
      .history = [h = &e->history()](std::uint64_t since) { return h->since(since); },
      .users_flag = e->users_flag(),
      .trace_link = o.trace_link,
      .users = o.users,
      .spawn_rate = o.spawn_rate,
      .html_report = [&e] { return e->html_report(); },
      .thresholds = [&e] { return e->thresholds_json(); }};
  const core::Status listening = server.start(bind, static_cast<std::uint16_t>(o.web_port), runner,
                                              api, o.web_auth, web::WebTls{o.tls_cert, o.tls_key});
  if (!listening) {
    log.error("{}; {}", listening.error().message, listening.error().hint);
    return e->finish(kUsageExitCode, sigs);
  }
  log.info("Starting web interface at {}://{}:{}{}", o.tls_cert.empty() ? "http" : "https", bind,
           server.port(),
           bind == "0.0.0.0" ? " (accepting connections from all network interfaces)" : "");
  log.info("Starting loadgen {} ({} threads)", core::kVersion, worker_threads(o));
  if (!e->load_summary().empty()) log.info("{}", e->load_summary());
  if (o.autostart) {
    if (e->load_summary().empty())
      log.info("Ramping to {} users at a rate of {:.2f} per second", o.users, o.spawn_rate);
    runner.start(o.users, o.spawn_rate);
  }
  std::optional<double> deadline;    // -t, from when the run left "ready"
  std::optional<double> stopped_at;  // when the run was first seen stopped
  double next_print = e->start_s() + 2.0;
  bool stopping = false;  // a quit is posted: a signal now kills the users being stopped
  bool run_time_done = false;
  for (;;) {
    const double now = mono_s();
    e->tick(now);
    const engine::RunState state = runner.state();
    if (state == engine::RunState::kStopped && runner.quitting()) break;
    if (state != engine::RunState::kReady && !deadline && o.run_time) {
      deadline = now + static_cast<double>(o.run_time->count());
      log.info("Run time limit set to {} seconds", o.run_time->count());
    }
    if (const std::int64_t t = swarm_run_time.exchange(-1); t >= 0) {
      // Locust's /swarm run_time: a stop that long after the swarm.
      deadline = now + static_cast<double>(t);
      run_time_done = false;
      log.info("Run time limit set to {} seconds", t);
    }
    if (deadline && !run_time_done && now >= *deadline) {
      log.info("--run-time limit reached, stopping test");
      runner.stop();
      run_time_done = true;
    }
    if (stopped_at && state != engine::RunState::kStopped) stopped_at.reset();  // a new run
    if (state == engine::RunState::kStopped && !stopped_at) {
      stopped_at = now;
      if (o.autoquit >= 0) log.info("Autoquit time limit set to {} seconds", o.autoquit);
    }
    if (stopped_at && o.autoquit >= 0 && !stopping &&
        now >= *stopped_at + static_cast<double>(o.autoquit)) {
      log.info("--autoquit time reached, shutting down");
      runner.quit();
      stopping = true;
      continue;
    }
    const bool up = state == engine::RunState::kSpawning || state == engine::RunState::kRunning;
    if (o.print_stats && up && now >= next_print) {
      print_stderr(report::format_stats_table(e->stats(), true, name_width) + '\n');
      next_print = now + 2.0;
    }
    double wake = std::min(e->next_due_s(), now + 0.1);
    if (deadline && !run_time_done) wake = std::min(wake, *deadline);
    if (stopped_at && o.autoquit >= 0) {
      wake = std::min(wake, *stopped_at + static_cast<double>(o.autoquit));
    }
    const bool draining = stopping || state == engine::RunState::kStopping;
    const double wait_s = draining ? 0.02 : std::clamp(wake - mono_s(), 0.0, 0.1);
    const int sig = wait_signal(sigs, wait_s);
    if (sig != 0) quit_on_signal(sig, runner, stopping, log);
  }
  server.stop();
  return end_run(o, *e, name_width, sigs);
}

}  // namespace loadgen::app
