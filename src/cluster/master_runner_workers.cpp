// master_runner_workers.cpp: the workers as the master hears them: registration (client_ready),
// heartbeats and liveness, stats and exceptions merged, leaving, and unknown peers and types.
#include <fmt/format.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cluster/master_runner_impl.hpp"

namespace loadgen::cluster {

using namespace master_detail;  // NOLINT(google-build-using-namespace): this module's helpers

void MasterRunner::Impl::forget(const std::string& id) {
  nodes.erase(id);
  stop_waiting.erase(id);
  quit_waiting.erase(id);
}

void MasterRunner::Impl::on_client_ready(const std::string& id, const Message& m, double now_s) {
  const std::string* version = std::get_if<std::string>(&m.data);
  const std::string v = version ? *version : std::string();
  if (v.empty() || v == "-1") {
    warn.warn("version:" + id, fmt::format("Worker {} sent no version ('{}'); accepting it", id, v),
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

void MasterRunner::Impl::on_heartbeat(Node& n, const HeartbeatData& hb, double now_s) {
  n.heartbeat = s.heartbeat_liveness;
  n.loadgen = hb.loadgen;
  n.last_heard_s = now_s;
  const bool healed = n.state == kMissing;
  n.state = hb.state;
  n.cpu = hb.current_cpu_usage;
  n.memory = hb.current_memory_usage;
  if (healed) {
    log(core::LogLevel::kInfo,
        fmt::format("Worker {} self-healed with heartbeat, setting state to {}.", n.id, hb.state));
    workers_changed(now_s);
  }
  if (n.cpu > kCpuThreshold) {
    warn.warn(
        "cpu:" + n.id,
        fmt::format("Worker {} (index {}) exceeded cpu threshold ({:.1f} %)", n.id, n.index, n.cpu),
        now_ns(now_s));
  }
}

void MasterRunner::Impl::on_stats(const std::string& id, StatsReport& r) {
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

void MasterRunner::Impl::set_counts(Node& n, const ClassCounts& counts, std::int64_t user_count) {
  n.user_classes_count = counts;
  std::int64_t sum = 0;
  for (const auto& [cls, c] : counts) sum += c;
  n.user_count = counts.empty() ? user_count : sum;  // Locust: the sum of the classes
}

// client_stopped, quit: the worker leaves (a stopped one re-registers with client_ready).
void MasterRunner::Impl::on_leave(const std::string& id, MessageType type, double now_s) {
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

void MasterRunner::Impl::unknown(const Message& m, const std::string& peer) {
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
void MasterRunner::Impl::tell_unknown_to_reconnect(const std::string& id) {
  if (id.empty() || reconnect_told.size() >= kMaxReconnectsTold) return;
  if (!reconnect_told.insert(id).second) return;
  log(core::LogLevel::kInfo,
      fmt::format("Worker {} is not registered here; asking it to reconnect", id));
  send(id, MessageType::kReconnect);
}

void MasterRunner::Impl::on_frame(Frame& f, double now_s) {
  core::Result<Message> decoded = decode(f.payload);
  if (!decoded) {
    protocol_errors.fetch_add(1, std::memory_order_relaxed);
    warn.warn("decode",
              fmt::format("Undecodable message from worker {}: {}; asking it to reconnect", f.peer,
                          decoded.error().message),
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

// Locust's heartbeat_worker, every heartbeat_check_interval. It also heartbeats to the
// loadgen workers (Locust >= 2.19 masters do so to every worker; a 2.12 worker would not
// know the message), which leave after a minute without hearing from their master.
void MasterRunner::Impl::check_liveness(double now_s) {
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

}  // namespace loadgen::cluster
