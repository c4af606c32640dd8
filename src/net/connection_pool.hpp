// ConnectionPool: the idle keep-alive client connections of one EventLoop, keyed by origin
// (scheme, host, port), so open sockets follow the requests in flight rather than the number of
// simulated users. A user about to wait long gives its idle connections back
// (client::HttpClient::park); its next request to that origin takes the most recently returned
// one (LIFO: the warmest, least likely closed by the server's keep-alive timeout), or opens a
// new one. ConnectionCounters: what the engine reports as loadgen.connections.* (docs/metrics.md).
// Thread: the owning EventLoop's; ConnectionCounters are also read from other threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "net/ring_deque.hpp"

namespace loadgen::net {

class Connection;

// Counts of one loop's outgoing connections. Written by the loop's thread only (a relaxed load
// and store: no locked instruction on the request path), read by any thread.
struct ConnectionCounters {
  std::atomic<std::uint64_t> opened{0};    // connect() succeeded (TCP, and TLS when https)
  std::atomic<std::uint64_t> closed{0};    // opened ones closed since (for any reason)
  std::atomic<std::uint64_t> reused{0};    // requests sent on an already-used connection
  std::atomic<std::uint64_t> taken{0};     // handed to a request by the pool
  std::atomic<std::uint64_t> returned{0};  // handed back to the pool by a parking user
  std::atomic<std::uint64_t> replaced{0};  // found closed by the server (or unreadable) in the pool
  std::atomic<std::uint64_t> peak_open{0};
  std::atomic<std::uint64_t> pooled{0};  // idle in the pool now

  static void bump(std::atomic<std::uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

// A plain copy of ConnectionCounters (summed over workers by the engine).
struct ConnectionStats {
  std::uint64_t opened = 0;
  std::uint64_t reused = 0;
  std::uint64_t taken = 0;
  std::uint64_t returned = 0;
  std::uint64_t replaced = 0;
  std::uint64_t open = 0;       // open now: opened - closed
  std::uint64_t peak_open = 0;  // the most open at once (per loop, summed: an upper bound)
  std::uint64_t pooled = 0;     // idle in the pools now
  ConnectionStats& operator+=(const ConnectionStats& o);
};

class ConnectionPool {
 public:
  // Bound on idle connections per loop (all origins): beyond it, a returned connection is
  // closed. 0: no pool (a parking user closes its connections).
  static constexpr std::size_t kDefaultCapacity = 4096;
  // A pooled connection idle longer than this is closed by the loop's sweep. LIFO leaves the
  // surplus of a burst at the bottom, unused: closing it lets the open sockets follow the load
  // down again. Servers close idle keep-alive connections after 5 s (Apache, Node.js) to 75 s
  // (nginx): closing ours after 4 s beats the shortest of them to it (fewer stale reuses, and
  // so fewer retried requests).
  static constexpr std::int64_t kMaxIdleNs = 4'000'000'000;

  explicit ConnectionPool(ConnectionCounters& counters);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void set_capacity(std::size_t n);
  std::size_t capacity() const { return capacity_; }
  void set_max_idle_ns(std::int64_t ns) { max_idle_ns_ = ns; }
  std::size_t size() const { return size_; }

  // The most recently returned open connection to the origin, or null. Connections the server
  // closed meanwhile (or that have unread bytes: a late response, a TLS close_notify) are
  // closed, counted as replaced and skipped. The caller owns the result alone.
  std::unique_ptr<Connection> take(std::string_view scheme, std::string_view host,
                                   std::uint16_t port);
  // Hands back an idle connection (no operation in flight, nothing unread). A closed one is
  // freed; when the pool is full, the origin's oldest idle one is closed to make room (none of
  // that origin: `c` is closed).
  void give(std::unique_ptr<Connection> c);
  // Closes connections idle longer than the max idle time (the loop's sweep calls it).
  void expire(std::int64_t now_ns);
  void clear();

 private:
  struct Idle {
    std::unique_ptr<Connection> conn;
    std::int64_t since_ns;
  };
  struct Origin {
    std::string host;
    std::uint16_t port;
    bool tls;
    // Back: the most recent. Taking, returning and dropping the oldest (expiry, a full pool)
    // are O(1) and never allocate once the ring has grown.
    RingDeque<Idle> idle;
  };
  Origin* find(std::string_view scheme, std::string_view host, std::uint16_t port);
  void publish_size() { counters_.pooled.store(size_, std::memory_order_relaxed); }

  ConnectionCounters& counters_;
  std::deque<Origin> origins_;  // few: the scenario's hosts (stable addresses)
  std::size_t capacity_ = kDefaultCapacity;
  std::size_t size_ = 0;
  std::int64_t max_idle_ns_ = kMaxIdleNs;
};

}  // namespace loadgen::net
