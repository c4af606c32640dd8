// Transport: one ZeroMQ socket owned by its own I/O thread (ZeroMQ sockets are not
// thread-safe). The master binds a ROUTER, a worker connects a DEALER whose identity is its
// node id, as Locust's rpc/zmqrpc.py does (TCP keepalive on, idle 30 s; one frame per message
// from a DEALER, [identity, payload] on the ROUTER, no delimiter frame). Other threads queue
// frames to send and take the frames received; periodic work (heartbeats) runs on the I/O
// thread itself, so a saturated process cannot delay it behind its load. zmq.h stays in
// transport.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace loadgen::cluster {

// The largest frame a transport sends or accepts (ZMQ_MAXMSGSIZE; a peer sending a larger one
// is disconnected). A stats report at 1,000 request names is about 1 MiB.
inline constexpr std::size_t kMaxFrameBytes = std::size_t{16} << 20;

struct Frame {
  std::string peer;     // the sender's / recipient's identity on a ROUTER; empty on a DEALER
  std::string payload;  // one encoded message
};

struct TransportCounters {
  std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  // Frames ZeroMQ refused (ROUTER: peer gone or its queue full; they are dropped, never
  // waited for) and frames still queued when close()'s linger ran out.
  std::uint64_t send_failures = 0;
  std::uint64_t rejected_in = 0;  // received with the wrong shape (ROUTER: not [identity, payload])
  std::uint64_t inbox_dropped = 0;    // received while the inbox was full (TransportLimits)
  std::uint64_t outbox_dropped = 0;   // send() while the outbox was full, or after close()
  std::uint64_t callback_errors = 0;  // every() callbacks that threw (caught on the I/O thread)
};

// Bounds of the queues between the I/O thread and the other threads: beyond them a frame is
// dropped and counted, so a peer that floods (or a driver that stops reading) costs memory
// up to a limit, never unbounded.
struct TransportLimits {
  std::size_t max_inbox_frames = 100'000;
  std::size_t max_outbox_frames = 100'000;
};

class Transport {
 public:
  // A ROUTER on tcp://host:port ("*" or "0.0.0.0": every interface; port 0: an ephemeral one,
  // see port()). host "inproc" binds inproc://<port> in the process-wide context (tests).
  // Errors name the address ("cannot bind tcp://127.0.0.1:5557: Address already in use").
  static core::Result<std::unique_ptr<Transport>> bind(const std::string& host, std::uint16_t port);
  static core::Result<std::unique_ptr<Transport>> bind(const std::string& host, std::uint16_t port,
                                                       const TransportLimits& limits);
  // A DEALER with this identity, connecting to tcp://host:port (ZeroMQ reconnects by itself;
  // host "inproc" as above). Fails only on a malformed address.
  static core::Result<std::unique_ptr<Transport>> connect(const std::string& host,
                                                          std::uint16_t port,
                                                          const std::string& identity);
  static core::Result<std::unique_ptr<Transport>> connect(const std::string& host,
                                                          std::uint16_t port,
                                                          const std::string& identity,
                                                          const TransportLimits& limits);
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
  // "reconnect" message) half a second later, so that a master ROUTER without
  // ROUTER_HANDOVER (Locust's) has dropped the old connection and accepts the identity again;
  // frames sent meanwhile wait. Thread-safe; done on the I/O thread. A ROUTER: no-op.
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
