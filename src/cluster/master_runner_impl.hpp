// Private to the cluster module: MasterRunner::Impl, the master's state and the methods its
// files define (master_runner.cpp, master_runner_{ramp,commands,workers}.cpp). Include it only
// from those files.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/master_runner.hpp"
#include "cluster/message.hpp"
#include "cluster/transport.hpp"
#include "plan/dispatch.hpp"

namespace loadgen::cluster {

namespace master_detail {

inline constexpr std::string_view kReady = "ready";  // Locust's STATE_INIT
inline constexpr std::string_view kSpawning = "spawning";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kMissing = "missing";

// Workers' warnings (CPU, undecodable frames) are rate limited per key.
inline constexpr auto kWarningInterval = std::chrono::seconds(30);
// Locust waits up to 1 s after a ramp for the workers to report their users
// (LOCUST_WAIT_FOR_WORKERS_REPORT_AFTER_RAMP_UP).
inline constexpr double kReportWaitAfterRampS = 1.0;
inline constexpr double kStopExtraS = 5.0;  // a stop waits stop_timeout + this for the workers
inline constexpr double kCpuThreshold = 90.0;
inline constexpr auto kCloseLinger = std::chrono::milliseconds(500);

inline std::int64_t now_ns(double now_s) { return static_cast<std::int64_t>(now_s * 1e9); }

}  // namespace master_detail

// Everything runs on the driving thread (drive(), shutdown()) except post() and the published
// copies (state, counts, workers, snapshot), which other threads read.
struct MasterRunner::Impl {
  struct Node {
    std::string id;
    std::int64_t index = 0;
    std::string state{master_detail::kReady};
    int heartbeat = 0;
    double cpu = 0;
    std::int64_t memory = 0;
    ClassCounts user_classes_count;  // as last reported
    std::int64_t user_count = 0;
    std::vector<std::int64_t> sent;  // the counts of the last spawn sent (empty: none)
    double last_heard_s = 0;         // the last heartbeat (or the registration)
    bool loadgen = false;            // a loadgen worker: the master heartbeats to it
  };
  // Bounds on what peers on the (unauthenticated, as Locust's) master port can make the master
  // hold: registered workers, and the peers told to reconnect.
  static constexpr std::size_t kMaxWorkers = 10'000;
  static constexpr std::size_t kMaxReconnectsTold = 1'000;

  Settings s;
  std::unique_ptr<Transport> transport;
  engine::CommandInbox inbox;
  core::RateLimitedWarning warn;

  // Published for other threads.
  std::atomic<engine::RunState> state{engine::RunState::kReady};
  std::atomic<std::int64_t> alive{0}, target{0};
  std::atomic<double> rate{0};
  std::atomic<std::uint64_t> generation{0};
  std::atomic<int> ready{0};
  std::atomic<bool> gave_up{false};
  std::atomic<std::uint64_t> protocol_errors{0}, unknown_messages{0};
  mutable std::mutex mu;  // guards the published copies below
  std::vector<WorkerInfo> workers_copy;
  mutable std::atomic<bool> snapshot_wanted{false};
  std::shared_ptr<const stats::Aggregate> snapshot_stats;
  std::shared_ptr<const engine::ExceptionCounts> snapshot_exceptions;

  // Driving thread only.
  stats::Aggregate agg;
  engine::ExceptionCounts exceptions;
  std::map<std::string, Node> nodes;
  std::map<std::string, std::int64_t> indexes;  // stable per node id for the master's life
  std::set<std::string> unknown_types_warned;
  std::set<std::string> reconnect_told;        // unknown peers told to reconnect (bounded)
  std::optional<plan::Dispatcher> dispatcher;  // while a run is up
  engine::RunState run = engine::RunState::kReady;
  bool quit = false;
  bool quit_sent = false;
  bool closed = false;
  bool ramping = false;
  bool reset_done = false;
  double next_step_s = 0;
  std::optional<double> announce_by;  // a ramp ended: "All users spawned" once reported
  double last_spawn_ts = 0;
  std::optional<engine::Command> pending_start;  // waiting for expect_workers
  double wait_began_s = 0, next_wait_log_s = 0;
  std::optional<double> stop_by;       // stopping: the bound
  std::set<std::string> stop_waiting;  // workers sent stop, not yet stopped
  std::optional<double> quit_by;       // quitting: the bound
  std::set<std::string> quit_waiting;  // workers sent quit, not yet quit
  std::optional<engine::Command> start_after_stop;
  double next_liveness_s = 0;
  double next_collect_s = 0;

  Impl(Settings settings, std::unique_ptr<Transport> t, double now_s, double now_wall)
      : s(std::move(settings)),
        transport(std::move(t)),
        warn(s.log, master_detail::kWarningInterval),
        agg(now_wall, s.max_names),
        next_liveness_s(now_s + seconds(s.heartbeat_check_interval)),
        next_collect_s(now_s + 1.0) {}

  static double seconds(std::chrono::nanoseconds d) {
    return std::chrono::duration<double>(d).count();
  }

  void log(core::LogLevel level, std::string_view line) const {
    if (s.log) s.log->log(level, line);
  }

  std::int64_t index_of(const std::string& id) {
    auto [it, added] = indexes.emplace(id, static_cast<std::int64_t>(indexes.size()));
    return it->second;
  }

  void send(const std::string& id, MessageType type, Payload data = std::monostate{}) {
    Message m{.type = type,
              .type_name = std::string(to_string(type)),
              .data = std::move(data),
              .node_id = id};
    transport->send(Frame{.peer = id, .payload = encode(m)});
  }

  // Workers the dispatcher gives users to: connected and not missing.
  std::vector<std::string> active_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, n] : nodes) {
      if (n.state != master_detail::kMissing) out.push_back(id);
    }
    return out;
  }
  int active_count() const { return static_cast<int>(active_ids().size()); }
  std::int64_t reported_users() const {
    std::int64_t n = 0;
    for (const auto& [id, node] : nodes) n += node.user_count;
    return n;
  }
  bool run_up() const {
    return run == engine::RunState::kSpawning || run == engine::RunState::kRunning;
  }

  // ---- publication, the driving thread (master_runner.cpp) ---------------------------
  void publish();
  void publish_stats(bool force = false);
  bool drive(double now_s, double now_wall);
  void shutdown();

  // ---- the ramp (master_runner_ramp.cpp) ---------------------------------------------
  std::string reported_summary() const;
  void workers_changed(double now_s);
  int send_distribution(const plan::Distribution& d, double now_wall);
  void step(double now_s, double now_wall);
  void announce(double now_s, double now_wall);
  void begin_ramp(const engine::Command& c, double now_s, double now_wall);

  // ---- commands (master_runner_commands.cpp) -----------------------------------------
  void start(const engine::Command& c, double now_s, double now_wall);
  void wait_for_workers(double now_s);
  void send_quit_to_all();
  void end_ramp();
  void begin_stop(double now_s);
  void finish_stop();
  void begin_quit(double now_s);
  void apply(const engine::Command& c, double now_s, double now_wall);

  // ---- the workers' messages and liveness (master_runner_workers.cpp) ----------------
  void forget(const std::string& id);
  void on_client_ready(const std::string& id, const Message& m, double now_s);
  void on_heartbeat(Node& n, const HeartbeatData& hb, double now_s);
  void on_stats(const std::string& id, StatsReport& r);
  static void set_counts(Node& n, const ClassCounts& counts, std::int64_t user_count);
  void on_leave(const std::string& id, MessageType type, double now_s);
  void unknown(const Message& m, const std::string& peer);
  void tell_unknown_to_reconnect(const std::string& id);
  void on_frame(Frame& f, double now_s);
  void check_liveness(double now_s);
};

}  // namespace loadgen::cluster
