// MasterRunner: Locust 2.12's MasterRunner (runners.py L652-1119, locust.md §2) over our
// Transport, codec and plan::Dispatcher. Everything below runs on the driving thread (drive(),
// shutdown()) except post() and the published copies (state, counts, workers, snapshot),
// which other threads read.
// This file: creation, the public API, publication and the driving loop; the ramp, the
// commands and the workers' messages are master_runner_{ramp,commands,workers}.cpp.
#include "cluster/master_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

#include "cluster/master_runner_impl.hpp"
#include "cluster/transport.hpp"
#include "plan/dispatch.hpp"

namespace loadgen::cluster {

using namespace master_detail;  // NOLINT(google-build-using-namespace): this module's helpers
using engine::Command;
using engine::RunState;

void MasterRunner::Impl::publish() {
  state.store(run, std::memory_order_release);
  alive.store(reported_users(), std::memory_order_relaxed);
  ready.store(active_count(), std::memory_order_relaxed);
  std::vector<WorkerInfo> list;
  list.reserve(nodes.size());
  for (const auto& [id, n] : nodes) {
    list.push_back(WorkerInfo{.id = id,
                              .index = n.index,
                              .state = n.state,
                              .user_count = n.user_count,
                              .cpu_usage = n.cpu,
                              .memory_usage = n.memory});
  }
  std::sort(list.begin(), list.end(),
            [](const WorkerInfo& a, const WorkerInfo& b) { return a.index < b.index; });
  std::lock_guard lock(mu);
  workers_copy = std::move(list);
}

void MasterRunner::Impl::publish_stats(bool force) {
  if (!snapshot_wanted.exchange(false, std::memory_order_relaxed) && !force) return;
  auto copy = std::make_shared<const stats::Aggregate>(agg);
  auto exc = std::make_shared<const engine::ExceptionCounts>(exceptions);
  std::lock_guard lock(mu);
  snapshot_stats = std::move(copy);
  snapshot_exceptions = std::move(exc);
}

bool MasterRunner::Impl::drive(double now_s, double now_wall) {
  if (!closed) {
    for (Frame& f : transport->receive(std::chrono::milliseconds(0))) on_frame(f, now_s);
  }
  for (const Command& c : inbox.take()) apply(c, now_s, now_wall);
  if (now_s >= next_liveness_s) {
    check_liveness(now_s);
    next_liveness_s += seconds(s.heartbeat_check_interval);
    if (next_liveness_s <= now_s) next_liveness_s = now_s + seconds(s.heartbeat_check_interval);
  }
  if (pending_start) {
    if (active_count() >= s.expect_workers) {
      const Command c = *pending_start;
      pending_start.reset();
      begin_ramp(c, now_s, now_wall);
    } else {
      wait_for_workers(now_s);
    }
  }
  if (ramping && dispatcher && now_s >= next_step_s) step(now_s, now_wall);
  if (announce_by) announce(now_s, now_wall);
  if (stop_by) {
    const bool done = std::all_of(stop_waiting.begin(), stop_waiting.end(), [&](const auto& id) {
      auto it = nodes.find(id);
      return it == nodes.end() || (it->second.user_count == 0 && it->second.state != kSpawning &&
                                   it->second.state != kRunning);
    });
    if (!done && now_s >= *stop_by) {
      log(core::LogLevel::kError, "Timeout waiting for all workers to stop");
    }
    if (done || now_s >= *stop_by) {
      finish_stop();
      if (start_after_stop) {
        const Command c = *start_after_stop;
        start_after_stop.reset();
        publish_stats(true);  // the old run's final figures
        start(c, now_s, now_wall);
      }
    }
  }
  if (quit_by && (quit_waiting.empty() || now_s >= *quit_by)) {
    if (!quit_waiting.empty()) {
      log(core::LogLevel::kWarning,
          fmt::format("{} worker(s) did not send their final stats and quit within {} ms",
                      quit_waiting.size(), s.quit_wait.count()));
    }
    quit_by.reset();
    quit_waiting.clear();
    run = RunState::kStopped;
  }
  bool collected = false;
  if (run == RunState::kStopped || run == RunState::kStopping) {
    publish();
    publish_stats();  // the final figures for a controller that asks
    return false;
  }
  if (now_s >= next_collect_s) {
    next_collect_s += 1.0;
    if (next_collect_s <= now_s) next_collect_s = now_s + 1.0;
    collected = true;
    publish_stats();
  }
  publish();
  return collected;
}

void MasterRunner::Impl::shutdown() {
  if (closed) return;
  if (!quit_sent && !nodes.empty()) send_quit_to_all();
  transport->close(kCloseLinger);
  closed = true;
}

core::Result<std::unique_ptr<MasterRunner>> MasterRunner::create(Settings s, double now_s,
                                                                 double now_wall) {
  if (s.class_names.size() != s.classes.size()) {
    return core::make_error("bad_value", fmt::format("master: {} class names for {} classes",
                                                     s.class_names.size(), s.classes.size()));
  }
  if (core::Status st = plan::Dispatcher::check_classes(s.classes); !st) {
    core::Error e = st.error();
    e.message = "master: the scenario's user classes cannot be dispatched: " + e.message;
    return e;
  }
  auto t = Transport::bind(s.bind_host, s.bind_port);
  if (!t) {
    core::Error e = t.error();
    const std::string address = fmt::format("{}:{}", s.bind_host, s.bind_port);
    if (e.message.find(address) == std::string::npos) {
      e.message = fmt::format("master: cannot bind {}: {}", address, e.message);
    }
    if (e.hint.empty()) {
      e.hint =
          "close any application using that port (perhaps an old master is still running) "
          "or choose another with --master-bind-port";
    }
    return e;
  }
  auto impl = std::make_unique<Impl>(std::move(s), std::move(*t), now_s, now_wall);
  return std::unique_ptr<MasterRunner>(new MasterRunner(std::move(impl)));
}

MasterRunner::MasterRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MasterRunner::~MasterRunner() { impl_->shutdown(); }

std::uint16_t MasterRunner::port() const { return impl_->transport->port(); }

void MasterRunner::post(engine::Command c) { impl_->inbox.post(std::move(c)); }

engine::RunState MasterRunner::state() const {
  return impl_->state.load(std::memory_order_acquire);
}

engine::RunnerSnapshot MasterRunner::snapshot() const {
  impl_->snapshot_wanted.store(true, std::memory_order_relaxed);
  engine::RunnerSnapshot s{.state = state(),
                           .user_count = alive(),
                           .target = target(),
                           .flag_users = 0,
                           .flag_control = false,
                           .iterations_dropped = std::nullopt,
                           .stats = nullptr,
                           .exceptions = nullptr};
  std::lock_guard lock(impl_->mu);
  s.stats = impl_->snapshot_stats;
  s.exceptions = impl_->snapshot_exceptions;
  std::vector<engine::NodeRow> rows;
  rows.reserve(impl_->workers_copy.size());
  for (const WorkerInfo& w : impl_->workers_copy) {
    rows.push_back(engine::NodeRow{.id = w.id,
                                   .state = w.state,
                                   .user_count = w.user_count,
                                   .cpu_usage = w.cpu_usage,
                                   .memory_usage = w.memory_usage});
  }
  s.workers = std::move(rows);
  return s;
}

bool MasterRunner::drive(double now_s, double now_wall) { return impl_->drive(now_s, now_wall); }

bool MasterRunner::wait_for_command(std::chrono::nanoseconds timeout) {
  return impl_->inbox.wait(timeout);
}

double MasterRunner::next_collect_s() const { return impl_->next_collect_s; }
bool MasterRunner::quitting() const { return impl_->quit; }
const stats::Aggregate& MasterRunner::stats() const { return impl_->agg; }
const engine::ExceptionCounts& MasterRunner::exceptions() const { return impl_->exceptions; }
std::int64_t MasterRunner::alive() const { return impl_->alive.load(std::memory_order_relaxed); }
std::int64_t MasterRunner::target() const { return impl_->target.load(std::memory_order_relaxed); }
double MasterRunner::spawn_rate() const { return impl_->rate.load(std::memory_order_relaxed); }
std::uint64_t MasterRunner::ramp_generation() const {
  return impl_->generation.load(std::memory_order_relaxed);
}
void MasterRunner::shutdown() { impl_->shutdown(); }

std::vector<WorkerInfo> MasterRunner::workers() const {
  std::lock_guard lock(impl_->mu);
  return impl_->workers_copy;
}
int MasterRunner::ready_workers() const { return impl_->ready.load(std::memory_order_relaxed); }
bool MasterRunner::gave_up_waiting() const { return impl_->gave_up.load(); }
std::uint64_t MasterRunner::protocol_errors() const {
  return impl_->protocol_errors.load(std::memory_order_relaxed);
}
std::uint64_t MasterRunner::unknown_messages() const {
  return impl_->unknown_messages.load(std::memory_order_relaxed);
}

}  // namespace loadgen::cluster
