// MasterRunner: Locust 2.12's MasterRunner (runners.py L652-1119, locust.md §2) over our
// Transport, codec and plan::Dispatcher. Everything below runs on the driving thread (drive(),
// shutdown()) except post() and the published copies (state, counts, workers, snapshot),
// which other threads read.
#include "cluster/master_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "cluster/transport.hpp"
#include "plan/dispatch.hpp"

namespace loadgen::cluster {

namespace {

using engine::Command;
using engine::RunState;

constexpr std::string_view kReady = "ready";  // Locust's STATE_INIT
constexpr std::string_view kSpawning = "spawning";
constexpr std::string_view kRunning = "running";
constexpr std::string_view kMissing = "missing";

// Workers' warnings (CPU, undecodable frames) are rate limited per key.
constexpr auto kWarningInterval = std::chrono::seconds(30);
// Locust waits up to 1 s after a ramp for the workers to report their users
// (LOCUST_WAIT_FOR_WORKERS_REPORT_AFTER_RAMP_UP).
constexpr double kReportWaitAfterRampS = 1.0;
constexpr double kStopExtraS = 5.0;  // a stop waits stop_timeout + this for the workers
constexpr double kCpuThreshold = 90.0;
constexpr auto kCloseLinger = std::chrono::milliseconds(500);

std::int64_t now_ns(double now_s) { return static_cast<std::int64_t>(now_s * 1e9); }

}  // namespace

struct MasterRunner::Impl {
  struct Node {
    std::string id;
    std::int64_t index = 0;
    std::string state{kReady};
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
  std::atomic<RunState> state{RunState::kReady};
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
  RunState run = RunState::kReady;
  bool quit = false;
  bool quit_sent = false;
  bool closed = false;
  bool ramping = false;
  bool reset_done = false;
  double next_step_s = 0;
  std::optional<double> announce_by;  // a ramp ended: "All users spawned" once reported
  double last_spawn_ts = 0;
  std::optional<Command> pending_start;  // waiting for expect_workers
  double wait_began_s = 0, next_wait_log_s = 0;
  std::optional<double> stop_by;       // stopping: the bound
  std::set<std::string> stop_waiting;  // workers sent stop, not yet stopped
  std::optional<double> quit_by;       // quitting: the bound
  std::set<std::string> quit_waiting;  // workers sent quit, not yet quit
  std::optional<Command> start_after_stop;
  double next_liveness_s = 0;
  double next_collect_s = 0;

  Impl(Settings settings, std::unique_ptr<Transport> t, double now_s, double now_wall)
      : s(std::move(settings)),
        transport(std::move(t)),
        warn(s.log, kWarningInterval),
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
      if (n.state != kMissing) out.push_back(id);
    }
    return out;
  }
  int active_count() const { return static_cast<int>(active_ids().size()); }
  std::int64_t reported_users() const {
    std::int64_t n = 0;
    for (const auto& [id, node] : nodes) n += node.user_count;
    return n;
  }
  bool run_up() const { return run == RunState::kSpawning || run == RunState::kRunning; }

  // Locust's _format_user_classes_count_for_log: {"A": 1, "B": 2} (N total users), the
  // counts the workers reported, every class in the scenario's order.
  std::string reported_summary() const {
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

  // ---- publication ------------------------------------------------------------------

  void publish() {
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

  void publish_stats(bool force = false) {
    if (!snapshot_wanted.exchange(false, std::memory_order_relaxed) && !force) return;
    auto copy = std::make_shared<const stats::Aggregate>(agg);
    auto exc = std::make_shared<const engine::ExceptionCounts>(exceptions);
    std::lock_guard lock(mu);
    snapshot_stats = std::move(copy);
    snapshot_exceptions = std::move(exc);
  }

  // ---- the ramp ---------------------------------------------------------------------

  // The dispatcher follows the set of active workers; while a run is up the next step (at
  // once) sends the rebalanced counts (Locust's start() from the listeners).
  void workers_changed(double now_s) {
    if (!dispatcher) return;
    dispatcher->set_workers(active_ids());
    if (!run_up()) return;
    if (!ramping) {
      ramping = true;
      next_step_s = now_s;
    }
  }

  // Sends a spawn to every worker whose counts changed; returns how many were sent.
  int send_distribution(const plan::Distribution& d, double now_wall) {
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

  void step(double now_s, double now_wall) {
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

  void announce(double now_s, double now_wall) {
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

  void begin_ramp(const Command& c, double now_s, double now_wall) {
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

  // ---- commands ---------------------------------------------------------------------

  void start(const Command& c, double now_s, double now_wall) {
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
  void wait_for_workers(double now_s) {
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

  void send_quit_to_all() {
    quit_waiting.clear();
    for (const auto& [id, n] : nodes) {
      log(core::LogLevel::kDebug,
          fmt::format("Sending quit message to worker {} (index {})", id, n.index));
      send(id, MessageType::kQuit);
      if (n.state != kMissing) quit_waiting.insert(id);
    }
    quit_sent = true;
  }

  void end_ramp() {
    dispatcher.reset();
    ramping = false;
    announce_by.reset();
  }

  void begin_stop(double now_s) {
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

  void finish_stop() {
    stop_by.reset();
    stop_waiting.clear();
    run = RunState::kStopped;
  }

  void begin_quit(double now_s) {
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

  void apply(const Command& c, double now_s, double now_wall) {
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

  // ---- messages ---------------------------------------------------------------------

  void forget(const std::string& id) {
    nodes.erase(id);
    stop_waiting.erase(id);
    quit_waiting.erase(id);
  }

  void on_client_ready(const std::string& id, const Message& m, double now_s) {
    const std::string* version = std::get_if<std::string>(&m.data);
    const std::string v = version ? *version : std::string();
    if (v.empty() || v == "-1") {
      warn.warn("version:" + id,
                fmt::format("Worker {} sent no version ('{}'); accepting it", id, v),
                now_ns(now_s));
    } else if (!s.version.empty() && v != s.version) {
      const bool same_minor = v.substr(0, 4) == s.version.substr(0, 4);
      log(same_minor ? core::LogLevel::kDebug : core::LogLevel::kWarning,
          fmt::format("A worker ({}) running a different {}version ({}) connected, master "
                      "version is {}",
                      id, same_minor ? "patch " : "", v, s.version));
    }
    if (!nodes.contains(id) && nodes.size() >= kMaxWorkers) {
      warn.warn(
          "full",
          fmt::format("Refusing worker {}: {} workers are registered already", id, nodes.size()),
          now_ns(now_s));
      return;
    }
    reconnect_told.erase(id);
    const std::int64_t index = index_of(id);
    // The "loadgen" key tells a loadgen worker it may send exact exception counts and no
    // Locust buckets (a Locust worker reads only "index").
    send(id, MessageType::kAck,
         AckData{.index = index, .loadgen = s.version.empty() ? "unknown" : s.version});
    Node n;
    n.id = id;
    n.index = index;
    n.heartbeat = s.heartbeat_liveness;
    n.last_heard_s = now_s;
    nodes[id] = std::move(n);
    stop_waiting.erase(id);  // it stopped and came back
    if (quit) {
      send(id, MessageType::kQuit);  // too late to join
    } else {
      workers_changed(now_s);
    }
    log(core::LogLevel::kInfo,
        fmt::format("Worker {} (index {}) reported as ready. {} workers connected.", id, index,
                    active_count()));
  }

  void on_heartbeat(Node& n, const HeartbeatData& hb, double now_s) {
    n.heartbeat = s.heartbeat_liveness;
    n.loadgen = hb.loadgen;
    n.last_heard_s = now_s;
    const bool healed = n.state == kMissing;
    n.state = hb.state;
    n.cpu = hb.current_cpu_usage;
    n.memory = hb.current_memory_usage;
    if (healed) {
      log(core::LogLevel::kInfo,
          fmt::format("Worker {} self-healed with heartbeat, setting state to {}.", n.id,
                      hb.state));
      workers_changed(now_s);
    }
    if (n.cpu > kCpuThreshold) {
      warn.warn("cpu:" + n.id,
                fmt::format("Worker {} (index {}) exceeded cpu threshold ({:.1f} %)", n.id, n.index,
                            n.cpu),
                now_ns(now_s));
    }
  }

  void on_stats(const std::string& id, StatsReport& r) {
    agg.merge(std::move(r.delta));  // its stats count even from a worker no longer known
    for (auto& [key, count] : r.exceptions) {
      auto part = [&](std::size_t i) { return i < key.size() ? key[i] : std::string(); };
      exceptions[{part(0), part(1), part(2)}] += count;
    }
    auto it = nodes.find(id);
    if (it == nodes.end()) {
      log(core::LogLevel::kInfo,
          fmt::format("Discarded the user counts of a report from unrecognized worker {}", id));
      return;
    }
    set_counts(it->second, r.user_classes_count, r.user_count);
  }

  static void set_counts(Node& n, const ClassCounts& counts, std::int64_t user_count) {
    n.user_classes_count = counts;
    std::int64_t sum = 0;
    for (const auto& [cls, c] : counts) sum += c;
    n.user_count = counts.empty() ? user_count : sum;  // Locust: the sum of the classes
  }

  // client_stopped, quit: the worker leaves (a stopped one re-registers with client_ready).
  void on_leave(const std::string& id, MessageType type, double now_s) {
    auto it = nodes.find(id);
    if (it == nodes.end()) {
      if (type == MessageType::kClientStopped) {
        log(core::LogLevel::kWarning,
            fmt::format("Received client_stopped message from an unknown worker: {}.", id));
      }
      return;
    }
    const std::int64_t index = it->second.index;
    forget(id);
    workers_changed(now_s);
    if (type == MessageType::kClientStopped) {
      log(core::LogLevel::kInfo,
          fmt::format("Worker {} (index {}) reported that it has stopped, removing from running "
                      "workers",
                      id, index));
      return;
    }
    log(core::LogLevel::kInfo,
        fmt::format("Worker '{}' (index {}) quit. {} workers ready.", id, index, active_count()));
    if (!quit && active_count() == 0 && run_up()) {
      log(core::LogLevel::kInfo, "The last worker quit, stopping test.");
      begin_stop(now_s);
      if (s.wait_for_workers) begin_quit(now_s);  // headless
    }
  }

  void unknown(const Message& m, const std::string& peer) {
    unknown_messages.fetch_add(1, std::memory_order_relaxed);
    if (unknown_types_warned.size() >= 100) return;  // counted, no longer said
    if (!unknown_types_warned.insert(m.type_name).second) return;
    const auto known = indexes.find(peer);  // a peer that never registered gets no index
    log(core::LogLevel::kWarning,
        fmt::format("Unknown message type received from worker {} (index {}): {}", peer,
                    known == indexes.end() ? std::string("none") : std::to_string(known->second),
                    m.type_name));
  }

  // A peer the master does not know (it restarted, or forgot a worker silent for a minute)
  // is told to reconnect, at most once per peer until the table of told peers fills: a
  // loadgen worker then registers again with client_ready. (Locust 2.12's master ignores such
  // heartbeats; its workers only reset their socket.)
  void tell_unknown_to_reconnect(const std::string& id) {
    if (id.empty() || reconnect_told.size() >= kMaxReconnectsTold) return;
    if (!reconnect_told.insert(id).second) return;
    log(core::LogLevel::kInfo,
        fmt::format("Worker {} is not registered here; asking it to reconnect", id));
    send(id, MessageType::kReconnect);
  }

  void on_frame(Frame& f, double now_s) {
    core::Result<Message> decoded = decode(f.payload);
    if (!decoded) {
      protocol_errors.fetch_add(1, std::memory_order_relaxed);
      warn.warn("decode",
                fmt::format("Undecodable message from worker {}: {}; asking it to reconnect",
                            f.peer, decoded.error().message),
                now_ns(now_s));
      if (!f.peer.empty()) send(f.peer, MessageType::kReconnect);
      return;
    }
    Message& m = *decoded;
    // The ROUTER identity is the node id (Locust); it is also where replies go.
    const std::string& id = f.peer.empty() ? m.node_id : f.peer;
    auto node = nodes.find(id);
    Node* n = node == nodes.end() ? nullptr : &node->second;
    switch (m.type) {
      case MessageType::kClientReady:
        on_client_ready(id, m, now_s);
        return;
      case MessageType::kHeartbeat:
        if (auto* hb = std::get_if<HeartbeatData>(&m.data); hb && n) on_heartbeat(*n, *hb, now_s);
        if (!n) tell_unknown_to_reconnect(id);
        return;
      case MessageType::kSpawning:
        if (n) n->state = kSpawning;
        return;
      case MessageType::kSpawningComplete:
        if (auto* sc = std::get_if<SpawningCompleteData>(&m.data); sc && n) {
          n->state = kRunning;
          set_counts(*n, sc->user_classes_count, sc->user_count);
        }
        return;
      case MessageType::kStats:
        if (auto* r = std::get_if<StatsReport>(&m.data)) on_stats(id, *r);
        return;
      case MessageType::kException:
        // A Locust worker's exception: counted once under its message (loadgen workers send
        // exact counts in their stats instead).
        if (auto* e = std::get_if<ExceptionData>(&m.data)) exceptions[{"", "", e->msg}] += 1;
        return;
      case MessageType::kClientStopped:
      case MessageType::kQuit:
        on_leave(id, m.type, now_s);
        return;
      case MessageType::kAck:
      case MessageType::kSpawn:
      case MessageType::kStop:
      case MessageType::kReconnect:
      case MessageType::kUnknown:
        unknown(m, id);
        return;
    }
  }

  // ---- liveness ---------------------------------------------------------------------

  // Locust's heartbeat_worker, every heartbeat_check_interval. It also heartbeats to the
  // loadgen workers (Locust >= 2.19 masters do so to every worker; a 2.12 worker would not
  // know the message), which leave after a minute without hearing from their master.
  void check_liveness(double now_s) {
    std::vector<std::string> dead;
    bool lost = false;
    for (auto& [id, n] : nodes) {
      if (n.loadgen && n.state != kMissing) send(id, MessageType::kHeartbeat);
      --n.heartbeat;
      if (n.state == kMissing) {
        if (n.heartbeat <= -s.heartbeat_dead) dead.push_back(id);
        continue;
      }
      if (n.heartbeat >= 0) continue;
      log(core::LogLevel::kWarning,
          fmt::format("Worker {} failed to send heartbeat, setting state to missing (silent for "
                      "{:.1f} s).",
                      id, now_s - n.last_heard_s));
      n.state = std::string(kMissing);
      n.user_classes_count.clear();
      n.user_count = 0;
      stop_waiting.erase(id);
      quit_waiting.erase(id);
      lost = true;
    }
    for (const auto& id : dead) {
      log(core::LogLevel::kInfo, fmt::format("Removing {} worker from running workers", id));
      forget(id);
    }
    if (!lost) return;
    workers_changed(now_s);  // its users go to the others at once
    if (active_count() == 0 && run_up() && !quit) {
      log(core::LogLevel::kInfo, "The last worker went missing, stopping test.");
      begin_stop(now_s);
    }
  }

  // ---- the driving thread -----------------------------------------------------------

  bool drive(double now_s, double now_wall) {
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

  void shutdown() {
    if (closed) return;
    if (!quit_sent && !nodes.empty()) send_quit_to_all();
    transport->close(kCloseLinger);
    closed = true;
  }
};

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
