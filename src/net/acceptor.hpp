// Acceptor: a listening TCP socket on an EventLoop that hands each accepted connection to a
// callback, for servers (server::HttpServer, test servers). Asio stays in acceptor.cpp.
// Thread: listen() before the loop runs or on its thread; everything else on the loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "net/connection.hpp"

namespace loadgen::net {

class EventLoop;
class AcceptorImpl;

class Acceptor {
 public:
  // Called on the loop's thread with each accepted connection (open, TCP_NODELAY set).
  using OnAccept = std::function<void(std::unique_ptr<Connection>)>;

  Acceptor(EventLoop& loop, OnAccept on_accept);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  struct Options {
    // SO_REUSEPORT: several loops (threads) may each listen on the same port; the kernel
    // spreads the connections across them.
    bool reuse_port = false;
    // TLS (HTTPS): PEM certificate chain and private key; both empty = plain TCP. Accepted
    // connections then need Connection::accept_handshake() before any read or write.
    std::string tls_certificate_file{};
    std::string tls_key_file{};
  };
  // Resolves `host` (a name such as localhost is resolved, its first address that binds is
  // used), binds `port` (0: a free one), listens and starts accepting. Returns the bound port;
  // the error (code "listen_failed") names host:port and the system's reason, or the TLS file
  // that does not load.
  core::Result<std::uint16_t> listen(const std::string& host, std::uint16_t port, Options options);
  core::Result<std::uint16_t> listen(const std::string& host, std::uint16_t port) {
    return listen(host, port, Options{});
  }
  // Stops accepting (idempotent). Connections already handed out are not touched.
  void close();
  std::uint16_t port() const { return port_; }

 private:
  std::unique_ptr<AcceptorImpl> impl_;
  std::uint16_t port_ = 0;
};

}  // namespace loadgen::net
