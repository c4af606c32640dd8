// master_runner_ramp.cpp: the master's ramp: plan::Dispatcher's steps sent to the workers as
// spawn messages (Locust's start() and its spawn loop), and the "All users spawned" report.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cluster/master_runner_impl.hpp"
#include "plan/dispatch.hpp"

namespace loadgen::cluster {

using namespace master_detail;  // NOLINT(google-build-using-namespace): this module's helpers
using engine::Command;
using engine::RunState;

// Locust's _format_user_classes_count_for_log: {"A": 1, "B": 2} (N total users), the
// counts the workers reported, every class in the scenario's order.
std::string MasterRunner::Impl::reported_summary() const {
  std::vector<std::pair<std::string, std::int64_t>> sums;
  for (const auto& name : s.class_names) sums.emplace_back(name, 0);
  std::int64_t total = 0;
  for (const auto& [id, n] : nodes) {
    for (const auto& [cls, count] : n.user_classes_count) {
      auto it =
          std::find_if(sums.begin(), sums.end(), [&](const auto& p) { return p.first == cls; });
      if (it == sums.end()) it = sums.insert(sums.end(), {cls, 0});
      it->second += count;
      total += count;
    }
  }
  std::string out = "{";
  for (std::size_t i = 0; i < sums.size(); ++i) {
    if (i) out += ", ";
    out += fmt::format("\"{}\": {}", sums[i].first, sums[i].second);
  }
  return fmt::format("{}}} ({} total users)", out, total);
}

// The dispatcher follows the set of active workers; while a run is up the next step (at
// once) sends the rebalanced counts (Locust's start() from the listeners).
void MasterRunner::Impl::workers_changed(double now_s) {
  if (!dispatcher) return;
  dispatcher->set_workers(active_ids());
  if (!run_up()) return;
  if (!ramping) {
    ramping = true;
    next_step_s = now_s;
  }
}

// Sends a spawn to every worker whose counts changed; returns how many were sent.
int MasterRunner::Impl::send_distribution(const plan::Distribution& d, double now_wall) {
  const double ts = std::max(now_wall, last_spawn_ts + 1e-6);  // strictly increasing
  const auto& ids = dispatcher->workers();
  int sent = 0;
  for (std::size_t w = 0; w < ids.size() && w < d.size(); ++w) {
    auto it = nodes.find(ids[w]);
    if (it == nodes.end()) continue;
    Node& n = it->second;
    const std::vector<std::int64_t>& counts = d[w];
    const bool unchanged =
        n.sent.empty() ? std::all_of(counts.begin(), counts.end(), [](auto c) { return c == 0; })
                       : n.sent == counts;
    if (unchanged) continue;
    SpawnData data;
    data.timestamp = ts;
    for (std::size_t c = 0; c < s.class_names.size(); ++c) {
      data.user_classes_count.emplace_back(s.class_names[c], c < counts.size() ? counts[c] : 0);
    }
    data.host = s.host;
    if (s.stop_timeout) data.stop_timeout = seconds(*s.stop_timeout);
    send(n.id, MessageType::kSpawn, std::move(data));
    n.sent = counts;
    ++sent;
  }
  if (sent) last_spawn_ts = ts;
  log(core::LogLevel::kDebug,
      fmt::format("Sending spawn messages for {} total users to {} worker(s)",
                  dispatcher->dispatched(), sent));
  return sent;
}

void MasterRunner::Impl::step(double now_s, double now_wall) {
  // A rebalance that changes no worker's counts (e.g. the workers set just before a new
  // dispatch) takes no step of its own: the ramp's next step follows at once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<plan::Distribution> d = dispatcher->next();
    if (!d) {
      ramping = false;
      if (run == RunState::kSpawning) run = RunState::kRunning;
      announce_by = now_s + kReportWaitAfterRampS;
      return;
    }
    if (send_distribution(*d, now_wall) > 0 || dispatcher->dispatched() == target.load()) break;
  }
  // Locust's last iteration does not sleep: the ramp ends at the next drive.
  next_step_s =
      dispatcher->dispatched() == target.load() ? now_s : now_s + dispatcher->step_interval_s();
}

void MasterRunner::Impl::announce(double now_s, double now_wall) {
  const bool all = reported_users() == target.load();
  if (!all && now_s < *announce_by) return;
  announce_by.reset();
  log(core::LogLevel::kInfo,
      fmt::format("{}: {}",
                  all ? "All users spawned"
                      : "Spawning is complete and report waittime is expired, but not all "
                        "reports received from workers",
                  reported_summary()));
  if (!reset_done) {
    reset_done = true;  // --reset-stats: once, after the first ramp (Locust)
    if (s.reset_stats_after_ramp) {
      log(core::LogLevel::kInfo, "Resetting stats");
      agg.reset(now_wall);
      exceptions.clear();
    }
  }
}

void MasterRunner::Impl::begin_ramp(const Command& c, double now_s, double now_wall) {
  const int workers = active_count();
  if (!run_up()) {
    // Locust's start(): stats.clear_all() and exceptions = {} unless already running.
    agg = stats::Aggregate(now_wall, s.max_names);
    exceptions.clear();
    reset_done = false;
    run = RunState::kReady;
    publish_stats(true);  // controllers see the cleared stats at once
  }
  target.store(c.users, std::memory_order_relaxed);
  rate.store(c.spawn_rate, std::memory_order_relaxed);
  generation.fetch_add(1, std::memory_order_relaxed);
  log(core::LogLevel::kInfo,
      fmt::format("Sending spawn jobs of {} users at {:.2f} spawn rate to {} ready workers",
                  c.users, c.spawn_rate, workers));
  if (c.spawn_rate / std::max(workers, 1) > 100) {
    log(core::LogLevel::kWarning,
        "Your selected spawn rate is very high (>100/worker), and this is known to sometimes "
        "cause issues. Do you really need to ramp up that fast?");
  }
  if (!dispatcher) {
    dispatcher.emplace(s.classes, s.class_names);  // Locust's cycle: classes by name
    dispatcher->set_workers(active_ids());
  }
  dispatcher->new_dispatch(c.users, c.spawn_rate);
  run = RunState::kSpawning;
  announce_by.reset();
  ramping = true;
  step(now_s, now_wall);
}

}  // namespace loadgen::cluster
