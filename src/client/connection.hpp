// Private to the client module: one TCP (optionally TLS) connection and its read buffer.
// Awaitable primitives with deadlines enforced by the loop's sweep (DeadlineHook).
// Deadline contract: arm_deadline() covers a whole exchange (every write and read of it); the
// sweep marks it expired and cancels what is waiting, and every later write or read checks the
// flag before it starts, so a peer that keeps sending bytes cannot outlive it.
// Invariant: a Connection is destroyed only when no operation is in flight.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "client/event_loop_impl.hpp"
#include "client/outcome.hpp"
#include "core/task.hpp"
#include "http/response_parser.hpp"

namespace loadgen::client {

struct IoResult {
  asio::error_code ec;
  std::size_t n = 0;
};

struct ConnectResult {
  Outcome outcome = Outcome::kOk;
  std::string detail;
};

// A socket bound to the io_context's own executor: smaller and faster than any_io_executor.
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

class Connection final : public DeadlineHook {
 public:
  static constexpr std::size_t kReadChunk = 8 * 1024;  // as wrk's RECVBUF

  Connection(LoopImpl& loop, std::string_view scheme, std::string_view host, std::uint16_t port);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool matches(std::string_view scheme, std::string_view host, std::uint16_t port) const {
    return port_ == port && host_ == host && tls_ == (scheme == "https");
  }
  bool is_open() const { return open_; }
  std::uint64_t uses() const { return uses_; }
  void count_use() { ++uses_; }

  // Resolve, TCP connect, TLS handshake, under its own deadline (monotonic ns); clears the
  // deadline when done.
  core::Task<ConnectResult> connect(std::int64_t deadline);
  // Both fail with asio::error::timed_out, without starting, once the armed deadline expired.
  core::Task<IoResult> write_all(std::string_view data);
  // Reads into the read buffer after its `len` valid bytes; grows the buffer up to max_size.
  core::Task<IoResult> read_more(std::size_t max_size);

  void close();
  // Kill: close the socket now; operations in flight complete with operation_aborted. Safe
  // while an operation is in flight (close() is not: it frees the TLS stream).
  void abort();
  // The deadline of one exchange (monotonic ns): enforced by the sweep until cleared.
  void arm_deadline(std::int64_t d) {
    deadline_ns = d;
    expired = false;
  }
  bool deadline_expired() const { return expired; }
  void clear_deadline() {
    deadline_ns = 0;
    expired = false;
  }

  // Read buffer: bytes [pos, len) are unconsumed.
  std::string rbuf;
  std::size_t rpos = 0;
  std::size_t rlen = 0;
  void compact();         // moves unconsumed bytes to the front
  void release_buffer();  // returns the buffer to the per-thread pool when empty

 private:
  void on_deadline() override;

  LoopImpl& loop_;
  std::string host_;
  std::uint16_t port_;
  bool tls_;
  bool open_ = false;
  std::uint64_t uses_ = 0;
  TcpSocket sock_;
  std::unique_ptr<asio::ssl::stream<TcpSocket&>> ssl_;
};

}  // namespace loadgen::client
