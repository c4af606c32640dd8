// Private to the net module: the Asio side of Connection (socket, TLS stream, deadline hook).
// Includes Asio; include it only from net .cpp files.
#pragma once

#include <asio/detail/reactor.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <memory>

#include "net/event_loop_impl.hpp"

namespace loadgen::net {

// A socket bound to the io_context's own executor: smaller and faster than any_io_executor.
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

class ConnectionImpl final : public DeadlineHook {
 public:
  explicit ConnectionImpl(LoopImpl& l)
      : loop(l),
        sock(l.io().get_executor()),
        reactor(asio::use_service<asio::detail::reactor>(l.io())) {
    loop.link(*this);
  }
  ConnectionImpl(LoopImpl& l, TcpSocket s)
      : loop(l), sock(std::move(s)), reactor(asio::use_service<asio::detail::reactor>(l.io())) {
    loop.link(*this);
  }
  ~ConnectionImpl() { loop.unlink(*this); }
  ConnectionImpl(const ConnectionImpl&) = delete;
  ConnectionImpl& operator=(const ConnectionImpl&) = delete;

  void on_deadline() override {
    asio::error_code ignored;
    sock.cancel(ignored);
  }

  LoopImpl& loop;
  TcpSocket sock;
  asio::detail::reactor& reactor;  // the loop's epoll reactor: a plain read's own operation
  std::unique_ptr<asio::ssl::stream<TcpSocket&>> ssl;
};

}  // namespace loadgen::net
