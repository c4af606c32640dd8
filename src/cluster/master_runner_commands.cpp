// master_runner_commands.cpp: the master's commands (start, set users, stop, kill now, reset
// stats, quit): waiting for workers, stopping and quitting them within their bounds.
#include <fmt/format.h>

#include "cluster/master_runner_impl.hpp"

namespace loadgen::cluster {

using namespace master_detail;  // NOLINT(google-build-using-namespace): this module's helpers
using engine::Command;
using engine::RunState;

void MasterRunner::Impl::start(const Command& c, double now_s, double now_wall) {
  if (quit) return;
  if (stop_by) {
    start_after_stop = c;  // the stop ends first
    return;
  }
  if (run_up()) {
    begin_ramp(c, now_s, now_wall);  // Locust's start() while running: a new dispatch
    return;
  }
  if (s.wait_for_workers && active_count() < s.expect_workers) {
    if (!pending_start) {
      wait_began_s = now_s;
      next_wait_log_s = now_s;
    }
    pending_start = c;
    wait_for_workers(now_s);
    return;
  }
  if (active_count() == 0) {
    log(core::LogLevel::kWarning,
        "You can't start a distributed test before at least one worker processes has "
        "connected");
    return;
  }
  begin_ramp(c, now_s, now_wall);
}

// Headless: the start waits for expect_workers (main.py's loop), logging once a second.
void MasterRunner::Impl::wait_for_workers(double now_s) {
  if (s.expect_workers_max_wait.count() > 0 &&
      now_s - wait_began_s >= seconds(s.expect_workers_max_wait)) {
    log(core::LogLevel::kError, "Gave up waiting for workers to connect");
    pending_start.reset();
    gave_up.store(true);
    quit = true;
    send_quit_to_all();
    run = RunState::kStopped;
    return;
  }
  if (now_s >= next_wait_log_s) {
    log(core::LogLevel::kInfo, fmt::format("Waiting for workers to be ready, {} of {} connected",
                                           active_count(), s.expect_workers));
    next_wait_log_s += 1.0;
    if (next_wait_log_s <= now_s) next_wait_log_s = now_s + 1.0;
  }
}

void MasterRunner::Impl::send_quit_to_all() {
  quit_waiting.clear();
  for (const auto& [id, n] : nodes) {
    log(core::LogLevel::kDebug,
        fmt::format("Sending quit message to worker {} (index {})", id, n.index));
    send(id, MessageType::kQuit);
    if (n.state != kMissing) quit_waiting.insert(id);
  }
  quit_sent = true;
}

void MasterRunner::Impl::end_ramp() {
  dispatcher.reset();
  ramping = false;
  announce_by.reset();
}

void MasterRunner::Impl::begin_stop(double now_s) {
  if (pending_start) {
    pending_start.reset();
    run = RunState::kStopped;
    return;
  }
  if (stop_by || !run_up()) {
    if (run == RunState::kReady) run = RunState::kStopped;
    return;
  }
  log(core::LogLevel::kDebug, "Stopping...");
  end_ramp();
  stop_waiting.clear();
  for (const auto& [id, n] : nodes) {
    log(core::LogLevel::kDebug, fmt::format("Sending stop message to worker {}", id));
    send(id, MessageType::kStop);
    if (n.state != kMissing) stop_waiting.insert(id);
  }
  run = RunState::kStopping;
  const double grace = s.stop_timeout ? seconds(*s.stop_timeout) : 0.0;
  stop_by = now_s + grace + kStopExtraS;
}

void MasterRunner::Impl::finish_stop() {
  stop_by.reset();
  stop_waiting.clear();
  run = RunState::kStopped;
}

void MasterRunner::Impl::begin_quit(double now_s) {
  if (quit) return;
  quit = true;
  pending_start.reset();
  start_after_stop.reset();
  end_ramp();
  stop_by.reset();  // Locust's quit(): stop without sending stop, then quit
  stop_waiting.clear();
  send_quit_to_all();
  if (quit_waiting.empty()) {
    run = RunState::kStopped;
    return;
  }
  run = RunState::kStopping;
  quit_by = now_s + seconds(s.quit_wait);
}

void MasterRunner::Impl::apply(const Command& c, double now_s, double now_wall) {
  switch (c.kind) {
    case Command::Kind::kStart:
      start(c, now_s, now_wall);
      return;
    case Command::Kind::kSetUsers:
      if (pending_start) {
        pending_start = Command{Command::Kind::kStart, c.users, c.spawn_rate};
      } else if (!quit && !stop_by && run_up()) {
        begin_ramp(c, now_s, now_wall);
      }
      return;
    case Command::Kind::kStop:
      if (!quit) begin_stop(now_s);
      return;
    case Command::Kind::kKillNow:
      if (stop_by) {
        if (reported_users() > 0) {
          log(core::LogLevel::kWarning,
              fmt::format("Not waiting for the workers' {} users to stop", reported_users()));
        }
        finish_stop();
      }
      if (quit_by) {
        quit_by.reset();
        quit_waiting.clear();
        run = RunState::kStopped;
      }
      return;
    case Command::Kind::kResetStats:
      agg.reset(now_wall);  // web.py reset_stats: stats.reset_all(), exceptions = {}
      exceptions.clear();
      return;
    case Command::Kind::kQuit:
      begin_quit(now_s);
      return;
    case Command::Kind::kSetClassCounts:
      return;  // a worker's command
  }
}

}  // namespace loadgen::cluster
