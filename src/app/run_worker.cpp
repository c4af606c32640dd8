// The worker mode (Locust's WorkerRunner): a thin driver over the Environment's LocalRunner and
// a cluster::WorkerNode. The node joins the master and sends heartbeats on its own thread;
// this thread turns the master's messages into runner commands (spawn → the absolute users of
// each class, stop, quit), reports the stats collected since the previous report every 3 s
// (deltas, as a Locust worker does), and ends the run on the master's quit or a signal with a
// final report, then `quit`. The master writes the run's reports; a worker still prints its
// own summary and writes what it is asked to (--csv, --html, telemetry).
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/environment.hpp"
#include "app/run.hpp"
#include "app/run_support.hpp"
#include "cluster/message.hpp"
#include "cluster/worker_node.hpp"
#include "core/clock.hpp"
#include "core/version.hpp"

namespace loadgen::app {
namespace {

constexpr double kReportIntervalS = 3.0;  // Locust's WORKER_REPORT_INTERVAL
// A worker acked by a loadgen master leaves after this long without a message from it (the
// master heartbeats every second; Locust >= 2.19's MASTER_HEARTBEAT_TIMEOUT).
constexpr double kMasterTimeoutS = 60.0;

cluster::Message message(cluster::MessageType type, cluster::Payload data = {}) {
  cluster::Message m;
  m.type = type;
  m.type_name = std::string(cluster::to_string(type));
  m.data = std::move(data);
  return m;
}

std::string_view heartbeat_state(engine::RunState s) {
  switch (s) {
    case engine::RunState::kSpawning:
      return "spawning";
    case engine::RunState::kRunning:
      return "running";
    case engine::RunState::kStopping:
      return "stopping";
    case engine::RunState::kReady:
    case engine::RunState::kStopped:
      break;
  }
  return "ready";  // a stopped worker is ready for the next run, as Locust's
}

class WorkerDriver {
 public:
  WorkerDriver(const Options& o, const std::map<std::string, std::string>& env, Log& log,
               const sigset_t& sigs)
      : o_(o), eo_(o), env_(env), log_(log), sigs_(sigs) {}

  int run();

 private:
  // Builds the Environment (at start with -H, else at the first spawn with the master's host).
  bool create_environment(int& code);
  void on_spawn(const cluster::SpawnData& d);
  cluster::ClassCounts class_counts() const;
  cluster::StatsReport take_report();
  // The stats report; to a Locust master also one `exception` message per task exception
  // (at most kMaxExceptionMessages per kind and report; a loadgen master gets exact counts in
  // the report itself).
  void send_report();

  const Options& o_;
  Options eo_;  // o_ with the host the master gave
  const std::map<std::string, std::string>& env_;
  Log& log_;
  const sigset_t& sigs_;
  std::unique_ptr<Environment> e_;
  std::unique_ptr<cluster::WorkerNode> node_;
  double last_spawn_ts_ = 0;
  bool host_warned_ = false;
  bool loadgen_master_ = false;  // the ack said so: no Locust buckets, exact exception counts
  std::set<std::string> unknown_classes_;
};

bool WorkerDriver::create_environment(int& code) {
  e_ = Environment::create(eo_, env_, log_, code);
  return e_ != nullptr;
}

cluster::ClassCounts WorkerDriver::class_counts() const {
  cluster::ClassCounts out;
  const engine::Engine& eng = e_->local()->local_engine();
  const auto& classes = eng.scenario().user_classes;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    out.emplace_back(classes[i].name, eng.class_counts()[i]);
  }
  return out;
}

cluster::StatsReport WorkerDriver::take_report() {
  cluster::StatsReport r;
  engine::StatsDelta d = e_->local()->local_engine().take_delta();
  stats::Entry total = cluster::stats_total_of(d.stats);
  // A Locust master keeps the earliest start_time of the totals it merges: never send 0.
  if (total.start_time == 0) total.start_time = core::wall_seconds();
  r.total = std::move(total);
  r.delta = std::move(d.stats);
  for (const auto& [key, n] : d.exceptions) {
    const auto& [cls, task, msg] = key;
    r.exceptions.emplace_back(std::vector<std::string>{cls, task, msg}, n);
  }
  r.user_classes_count = class_counts();
  r.user_count = e_->runner().alive();
  return r;
}

void WorkerDriver::send_report() {
  constexpr std::uint64_t kMaxExceptionMessages = 10;
  cluster::StatsReport r = take_report();
  // A Locust master reads Locust's buckets only, a loadgen master its exact histogram only.
  r.locust_buckets = !loadgen_master_;
  r.loadgen_extensions = loadgen_master_;
  if (!loadgen_master_) {
    // Locust's master counts each `exception` message once, grouped by its traceback.
    for (const auto& [key, n] : r.exceptions) {
      const std::string where = key[0] + "." + key[1];
      for (std::uint64_t i = 0; i < std::min(n, kMaxExceptionMessages); ++i) {
        node_->send(message(cluster::MessageType::kException,
                            cluster::ExceptionData{key[2], where + ": " + key[2]}));
      }
    }
  }
  node_->send(message(cluster::MessageType::kStats, std::move(r)));
}

void WorkerDriver::on_spawn(const cluster::SpawnData& d) {
  if (d.timestamp <= last_spawn_ts_) {
    log_.debug("Ignoring a spawn message older than the last one");
    return;
  }
  last_spawn_ts_ = d.timestamp;
  node_->send(message(cluster::MessageType::kSpawning));
  if (d.host && !d.host->empty() && *d.host != eo_.host && !host_warned_) {
    host_warned_ = true;
    log_.warning("The master runs against {} but this worker keeps its own --host {}", *d.host,
                 eo_.host);
  }
  if (d.stop_timeout) {  // the master's --stop-timeout, as Locust's worker takes it
    e_->local()->local_engine().set_stop_timeout(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(*d.stop_timeout)));
  }
  const auto& classes = e_->local()->local_engine().scenario().user_classes;
  engine::Command c{engine::Command::Kind::kSetClassCounts};
  c.class_counts.assign(classes.size(), 0);
  for (const auto& [name, n] : d.user_classes_count) {
    const auto it = std::find_if(classes.begin(), classes.end(),
                                 [&](const scenario::UserClass& u) { return u.name == name; });
    if (it != classes.end()) {
      c.class_counts[static_cast<std::size_t>(it - classes.begin())] = n;
    } else if (n > 0 && unknown_classes_.insert(name).second) {
      log_.warning(
          "The master asks for {} users of class {}, which this worker's scenario does "
          "not have (its classes: {}); they are not started",
          n, name, [&] {
            std::string names;
            for (const auto& u : classes) names += (names.empty() ? "" : ", ") + u.name;
            return names;
          }());
    }
  }
  e_->runner().post(std::move(c));
  e_->tick(mono_s());  // applies it: the users start at once
  cluster::SpawningCompleteData done;
  done.user_classes_count = class_counts();
  for (const auto& [name, n] : done.user_classes_count) done.user_count += n;
  node_->send(message(cluster::MessageType::kSpawningComplete, std::move(done)));
}

int WorkerDriver::run() {
  int code = kExitOk;
  if (!eo_.host.empty() && !create_environment(code)) return code;
  cluster::WorkerNode::Settings ws;
  ws.master_host = o_.master_host;
  ws.master_port = static_cast<std::uint16_t>(o_.master_port);
  ws.node_id = cluster::make_node_id();
  ws.version = std::string(core::kVersion);
  ws.log = &log_;
  auto started = cluster::WorkerNode::start(std::move(ws));
  if (!started) {
    log_.error("--worker: {}", started.error().message);
    return e_ ? e_->finish(kUsageExitCode, sigs_) : kUsageExitCode;
  }
  node_ = std::move(*started);
  log_.info("Starting loadgen {} as a worker ({} threads): joining the master at {}:{}",
            core::kVersion, worker_threads(o_), o_.master_host, o_.master_port);
  bool acked = false;
  bool quit = false;         // the master's quit, or a signal
  bool master_stop = false;  // a stop: client_stopped, then ready again
  bool signalled = false;
  std::optional<cluster::SpawnData> held_spawn;  // arrived while a stop was ending
  double next_report = mono_s() + kReportIntervalS;
  double last_heard = mono_s();  // the master's latest message
  for (;;) {
    const double now = mono_s();
    if (e_) e_->tick(now);
    if (loadgen_master_ && !quit && now - last_heard > kMasterTimeoutS) {
      log_.error(
          "The master has sent nothing for {:.0f} s (it heartbeats every second): it is "
          "gone; stopping the users and leaving",
          now - last_heard);
      if (e_) e_->runner().quit();
      quit = true;
      code = 1;
    }
    const engine::RunState state = e_ ? e_->runner().state() : engine::RunState::kReady;
    node_->set_state(heartbeat_state(state));
    if (node_->gave_up()) {
      log_.error(
          "The master at {}:{} did not answer; giving up (is it running, and is this its "
          "address?)",
          o_.master_host, o_.master_port);
      code = 1;
      break;
    }
    if (!acked && node_->acked()) {
      acked = true;
      log_.info("Connected to the master as worker {} (index {})", node_->node_id(),
                node_->index());
    }
    if (e_ && acked && now >= next_report && !quit) {
      send_report();
      next_report = now + kReportIntervalS;
    }
    if (master_stop && state == engine::RunState::kStopped) {
      master_stop = false;
      if (!quit) {
        // The stopped run's last counts first (a spawn soon after would clear them), then
        // Locust's client_stopped and client_ready: ready for the next run.
        send_report();
        next_report = now + kReportIntervalS;
        node_->send(message(cluster::MessageType::kClientStopped));
        node_->send(message(cluster::MessageType::kClientReady, std::string(core::kVersion)));
        if (held_spawn) {
          on_spawn(*held_spawn);
          held_spawn.reset();
        }
      }
    }
    if (quit && (!e_ || state == engine::RunState::kStopped)) break;
    const bool draining = quit || master_stop;
    for (cluster::Message& m : node_->take(std::chrono::milliseconds(draining ? 20 : 100))) {
      last_heard = mono_s();
      switch (m.type) {
        case cluster::MessageType::kSpawn: {
          if (quit) break;
          auto* d = std::get_if<cluster::SpawnData>(&m.data);
          if (!d) break;
          if (master_stop) {  // the stop ends first, as in Locust's worker loop
            held_spawn = *d;
            break;
          }
          if (!e_) {
            if (d->host) eo_.host = *d->host;
            if (!create_environment(code)) {
              node_->send(message(cluster::MessageType::kQuit));
              node_->close(std::chrono::seconds(1));
              return code;
            }
          }
          on_spawn(*d);
          break;
        }
        case cluster::MessageType::kStop:
          log_.info("The master stopped the run");
          if (e_) {
            e_->runner().stop();
            master_stop = true;
          } else {
            node_->send(message(cluster::MessageType::kClientStopped));
            node_->send(message(cluster::MessageType::kClientReady, std::string(core::kVersion)));
          }
          break;
        case cluster::MessageType::kQuit:
          log_.info("The master quit the run");
          if (e_ && node_->acked() && !quit) send_report();  // first: the master may not wait
          if (e_) e_->runner().quit();
          quit = true;
          break;
        case cluster::MessageType::kAck:
          if (const auto* a = std::get_if<cluster::AckData>(&m.data)) {
            loadgen_master_ = a->loadgen.has_value();
          }
          break;
        case cluster::MessageType::kReconnect:
          // The node has a new socket. A loadgen master sends it to a worker it does not know
          // (it restarted): register again. (Locust's worker only resets its socket.)
          if (loadgen_master_ && !quit) {
            node_->send(message(cluster::MessageType::kClientReady, std::string(core::kVersion)));
          }
          break;
        case cluster::MessageType::kHeartbeat:  // a newer master's (Locust >= 2.19), loadgen's
          break;
        case cluster::MessageType::kUnknown:
          log_.debug("Ignoring the master's message {}", m.type_name);
          break;
        default:
          log_.warning("Unexpected message {} from the master", m.type_name);
          break;
      }
    }
    if (const int sig = wait_signal(sigs_, 0); sig != 0) {
      if (!signalled) {
        signalled = true;
        log_.info("Received {}; stopping the users and leaving the master",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
        if (e_) e_->runner().quit();
        quit = true;
      } else if (e_) {
        e_->runner().kill_now();
      }
    }
  }
  // The final report (Locust's order: stats, then quit), then the worker's own end.
  if (e_ && node_->acked()) send_report();
  node_->send(message(cluster::MessageType::kQuit));
  node_->close(std::chrono::seconds(2));
  log_.info("Left the master (sent {} messages, {} bytes; {} protocol errors)",
            node_->counters().frames_out, node_->counters().bytes_out, node_->protocol_errors());
  if (!e_) return code;
  if (code != kExitOk) return e_->finish(code, sigs_);
  return end_run(o_, *e_, terminal_name_width(), sigs_);
}

}  // namespace

int run_worker(const Options& o, const std::map<std::string, std::string>& env, Log& log) {
  const sigset_t sigs = block_run_signals();
  WorkerDriver d(o, env, log, sigs);
  return d.run();
}

}  // namespace loadgen::app
