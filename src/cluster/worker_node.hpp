// WorkerNode: the worker side of Locust's protocol over a Transport (runners.py WorkerRunner).
// It joins the master (client_ready with a non-empty version, waits for ack, retries as
// Locust does), sends heartbeats from the transport's I/O thread every second with the state
// the driver set and this process's CPU and RSS, and queues the master's commands for the
// driving thread, which runs the load and sends the replies (spawning, spawning_complete,
// stats, client_stopped, quit) through send(). No engine here: app/run_worker.cpp drives it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/message.hpp"
#include "cluster/transport.hpp"
#include "core/log_sink.hpp"
#include "core/result.hpp"

namespace loadgen::cluster {

class WorkerNode {
 public:
  struct Settings {
    std::string master_host = "127.0.0.1";
    std::uint16_t master_port = 5557;
    std::string node_id;  // hostname + "_" + uuid4 hex (make_node_id)
    std::string version;  // client_ready's data; must be non-empty (locust.md §2.4)
    core::LogSink* log = nullptr;
    std::chrono::milliseconds heartbeat_interval{1000};
    std::chrono::milliseconds connect_timeout{5000};  // per client_ready attempt
    int connect_retries = 60;
  };
  // Connects and starts the handshake on the transport's thread; returns at once.
  static core::Result<std::unique_ptr<WorkerNode>> start(Settings s);
  ~WorkerNode();

  // Driving thread: the master's messages received since the last call, decoded, oldest
  // first (ack included; frames that fail to decode are logged and counted, not returned).
  // The ack is seen here (acked() turns true in take()), so the driver calls take() while it
  // waits for acked() or gave_up(). A "reconnect" (returned too) is handled here as well:
  // the transport reconnects with the same identity and client_ready is sent again.
  std::vector<Message> take(std::chrono::milliseconds wait);
  // Thread-safe: encodes and queues m (node_id filled in).
  void send(Message m);
  // Thread-safe: the state the heartbeats report ("ready", "spawning", "running").
  void set_state(std::string_view state);

  bool acked() const;          // the master answered client_ready
  std::int64_t index() const;  // the ack's index (-1 before)
  // True once the handshake gave up: 1 + connect_retries client_ready messages,
  // connect_timeout apart, and no ack (Locust: retry > CONNECT_RETRY_COUNT).
  bool gave_up() const;
  const std::string& node_id() const;
  std::uint64_t protocol_errors() const;  // frames that failed to decode
  TransportCounters counters() const;

  // Sends what is queued (at most `linger`), closes. Idempotent.
  void close(std::chrono::milliseconds linger);

 private:
  struct Impl;
  explicit WorkerNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// hostname + "_" + 32 hex digits (Locust's node id).
std::string make_node_id();

}  // namespace loadgen::cluster
