// Transport: one ZeroMQ socket owned by its own I/O thread (ZeroMQ sockets are not
// thread-safe). The master binds a ROUTER, a worker connects a DEALER whose identity is its
// node id, as Locust's rpc/zmqrpc.py does (TCP keepalive on, idle 30 s; one frame per message
// from a DEALER, [identity, payload] on the ROUTER, no delimiter frame). Other threads queue
// frames to send and take the frames received; periodic work (heartbeats) runs on the I/O
// thread itself, so a saturated process cannot delay it behind its load. zmq.h stays in
// transport.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace loadgen::cluster {

struct Frame {
  std::string peer;     // the sender's / recipient's identity on a ROUTER; empty on a DEALER
  std::string payload;  // one encoded message
};

struct TransportCounters {
  std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  std::uint64_t send_failures = 0;  // frames ZeroMQ refused (peer gone, queue full)
};

class Transport {
 public:
  // A ROUTER on tcp://host:port ("*" or "0.0.0.0": every interface; port 0: an ephemeral one,
  // see port()). host "inproc" binds inproc://<port> in the process-wide context (tests).
  // Errors name the address ("cannot bind tcp://127.0.0.1:5557: Address already in use").
  static core::Result<std::unique_ptr<Transport>> bind(const std::string& host, std::uint16_t port);
  // A DEALER with this identity, connecting to tcp://host:port (ZeroMQ reconnects by itself;
  // host "inproc" as above). Fails only on a malformed address.
  static core::Result<std::unique_ptr<Transport>> connect(const std::string& host,
                                                          std::uint16_t port,
                                                          const std::string& identity);
  ~Transport();  // close(0)
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  std::uint16_t port() const;  // the bound port (ROUTER)

  // Thread-safe; never blocks: queues the frame for the I/O thread.
  void send(Frame f);
  // Thread-safe: waits at most `timeout` for a received frame, then returns every frame
  // received so far (oldest first; possibly none).
  std::vector<Frame> receive(std::chrono::milliseconds timeout);
  // Runs `f` on the I/O thread every `period` (first run one period after the call). `f` may
  // call send(). Thread-safe.
  void every(std::chrono::milliseconds period, std::function<void()> f);
  // DEALER: closes the socket and connects a new one with the same identity (Locust's
  // "reconnect" message). Thread-safe; done on the I/O thread.
  void reconnect();
  // Sends what is queued (waiting at most `linger` for it to leave), then closes the socket
  // and joins the I/O thread. Idempotent.
  void close(std::chrono::milliseconds linger);

  TransportCounters counters() const;  // thread-safe

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loadgen::cluster
