// One TCP (optionally TLS) connection and its read buffer, for the client (outgoing, connect())
// and the server (accepted by net::Acceptor). Asio stays in connection.cpp (ConnectionImpl).
// Awaitable primitives with deadlines enforced by the loop's sweep (DeadlineHook).
// Deadline contract: arm_deadline() covers a whole exchange (every write and read of it); the
// sweep marks it expired and cancels what is waiting, and every later write or read checks the
// flag before it starts, so a peer that keeps sending bytes cannot outlive it.
// Thread: the owning EventLoop's. Invariant: destroyed only when no operation is in flight.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "core/task.hpp"
#include "net/connection_pool.hpp"

namespace loadgen::net {

class EventLoop;
class ConnectionImpl;  // connection.cpp (Asio)

struct IoResult {
  std::error_code ec;
  std::size_t n = 0;
  // read_more (core::mono_ns time): when the bytes reached this host (the kernel's receive
  // time stamp, outgoing plain TCP), else when the read completed.
  std::int64_t at_ns = 0;
};

// How connect() ended; the client maps these onto its outcomes.
enum class ConnectStatus : std::uint8_t {
  kOk,
  kCancelled,  // the operation was aborted (abort(), loop shutdown), not by the deadline
  kResolve,    // the name did not resolve
  kTimeout,    // the connect deadline passed (TCP connect or TLS handshake)
  kRefused,    // ECONNREFUSED
  kFailed,     // any other TCP connect error
  kTls,        // the TLS handshake failed
};

struct ConnectResult {
  ConnectStatus status = ConnectStatus::kOk;
  std::string detail;
};

// The error kinds callers tell apart (Asio's codes stay behind them).
bool is_eof(const std::error_code& ec);           // the peer closed cleanly
bool is_message_size(const std::error_code& ec);  // read_more: buffer full at max_size
bool is_timed_out(const std::error_code& ec);     // the armed deadline had expired

class Connection {
 public:
  static constexpr std::size_t kReadChunk = 8 * 1024;  // as wrk's RECVBUF

  // Outgoing: `scheme` "https" enables TLS. Nothing happens before connect().
  Connection(EventLoop& loop, std::string_view scheme, std::string_view host, std::uint16_t port);
  // Accepted (net::Acceptor): open already; TLS when the acceptor has a certificate, then
  // accept_handshake() comes first.
  explicit Connection(std::unique_ptr<ConnectionImpl> impl);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool matches(std::string_view scheme, std::string_view host, std::uint16_t port) const {
    return port_ == port && host_ == host && tls_ == (scheme == "https");
  }
  bool is_open() const { return open_; }
  bool tls() const { return tls_; }
  std::string_view host() const { return host_; }
  std::uint16_t port() const { return port_; }
  std::uint64_t uses() const { return uses_; }
  // One request sent on it; from the second on, counted as a reuse (ConnectionCounters).
  void count_use() {
    if (uses_++ != 0 && counters_ != nullptr) ConnectionCounters::bump(counters_->reused);
  }
  // An idle open connection is still usable: the peer has not closed it and sent nothing
  // unasked (a non-blocking peek at the socket; ConnectionPool::take asks before lending it).
  bool idle_alive();

  // Resolve, TCP connect, TLS handshake, under its own deadline (monotonic ns); clears the
  // deadline when done.
  core::Task<ConnectResult> connect(std::int64_t deadline);
  // Accepted connections: the server side of the TLS handshake within `deadline` (monotonic
  // ns; it stays armed); true at once without TLS, false when the handshake failed.
  core::Task<bool> accept_handshake(std::int64_t deadline);
  // Both fail with a timed-out error, without starting, once the armed deadline expired.
  core::Task<IoResult> write_all(std::string_view data);
  // Reads into the read buffer after its `len` valid bytes; grows the buffer up to max_size.
  // The result carries the bytes' arrival time (IoResult::at_ns), which the client uses as
  // the response's end (latency, span end).
  core::Task<IoResult> read_more(std::size_t max_size);

  void close();
  // Kill: close the socket now; operations in flight complete with operation_aborted. Safe
  // while an operation is in flight (close() is not: it frees the TLS stream).
  void abort();
  // Half-close: sends FIN after what was written (a server's lingering close, RFC 9112 §9.6).
  void shutdown_send();
  // The deadline of one exchange (monotonic ns): enforced by the sweep until cleared.
  void arm_deadline(std::int64_t d);
  bool deadline_expired() const;
  void clear_deadline();

  // Read buffer: bytes [pos, len) are unconsumed.
  std::string rbuf;
  std::size_t rpos = 0;
  std::size_t rlen = 0;
  void compact();         // moves unconsumed bytes to the front
  void release_buffer();  // returns the buffer to the per-thread pool when empty

 private:
  void note_closed();

  std::unique_ptr<ConnectionImpl> impl_;
  ConnectionCounters* counters_ = nullptr;  // outgoing connections: the loop's
  std::string host_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  bool open_ = false;
  std::uint64_t uses_ = 0;
  bool wrote_ = false;  // write_all sent bytes since the last read_more (read_more's hint)
};

}  // namespace loadgen::net
