#include "net/acceptor.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <string_view>
#include <utility>

#include "net/connection_impl.hpp"
#include "net/event_loop.hpp"

namespace loadgen::net {

namespace {
using TcpAcceptor = asio::basic_socket_acceptor<asio::ip::tcp, asio::io_context::executor_type>;
}

class AcceptorImpl {
 public:
  AcceptorImpl(LoopImpl& loop, Acceptor::OnAccept on_accept)
      : loop_(loop), acceptor_(loop.io().get_executor()), on_accept_(std::move(on_accept)) {}
  ~AcceptorImpl() { close(); }

  asio::error_code open(const asio::ip::tcp::endpoint& ep, bool reuse_port) {
    asio::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && reuse_port) {
      using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
      acceptor_.set_option(ReusePort(true), ec);
    }
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      asio::error_code ignored;
      acceptor_.close(ignored);
    }
    return ec;
  }

  std::uint16_t local_port() {
    asio::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

  void accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, TcpSocket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        asio::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        socket.non_blocking(true, ignored);
        auto impl = std::make_unique<ConnectionImpl>(loop_, std::move(socket));
        if (tls_) impl->ssl = std::make_unique<asio::ssl::stream<TcpSocket&>>(impl->sock, *tls_);
        on_accept_(std::make_unique<Connection>(std::move(impl)));
      }
      // Out of descriptors (EMFILE) and the like: keep accepting; the next try may succeed.
      accept();
    });
  }

  void close() {
    asio::error_code ignored;
    acceptor_.close(ignored);
  }

  // The server's TLS context from PEM files; "" when it loads, else what failed.
  std::string load_tls(const std::string& cert, const std::string& key) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    asio::error_code ec;
    ctx->use_certificate_chain_file(cert, ec);
    if (ec) return fmt::format("TLS certificate {}: {}", cert, ec.message());
    ctx->use_private_key_file(key, asio::ssl::context::pem, ec);
    if (ec) return fmt::format("TLS key {}: {}", key, ec.message());
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return fmt::format("TLS key {} does not match the certificate {}", key, cert);
    }
    tls_ = std::move(ctx);
    return "";
  }

 private:
  // Shared with nobody but kept for the acceptor's life; each accepted SSL holds a reference
  // to the underlying SSL_CTX of its own.
  std::shared_ptr<asio::ssl::context> tls_;
  LoopImpl& loop_;
  TcpAcceptor acceptor_;
  Acceptor::OnAccept on_accept_;
};

Acceptor::Acceptor(EventLoop& loop, OnAccept on_accept)
    : impl_(std::make_unique<AcceptorImpl>(loop.impl(), std::move(on_accept))) {}

Acceptor::~Acceptor() = default;

core::Result<std::uint16_t> Acceptor::listen(const std::string& host, std::uint16_t port,
                                             Options options) {
  const std::string where = fmt::format("{}:{}", host, port);
  if (!options.tls_certificate_file.empty() || !options.tls_key_file.empty()) {
    const std::string tls_error =
        impl_->load_tls(options.tls_certificate_file, options.tls_key_file);
    if (!tls_error.empty()) {
      return core::make_error("listen_failed", fmt::format("{}: {}", where, tls_error),
                              "give a PEM certificate chain and its private key");
    }
  }
  std::vector<asio::ip::tcp::endpoint> endpoints;
  asio::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(addr, port);
  } else {
    // Synchronous: listening happens once, at start-up (e.g. "localhost" for Prometheus).
    asio::io_context resolve_io;
    asio::ip::tcp::resolver resolver(resolve_io);
    auto results = resolver.resolve(
        host, std::to_string(port),
        asio::ip::tcp::resolver::passive | asio::ip::tcp::resolver::numeric_service, ec);
    if (ec) {
      return core::make_error("listen_failed", fmt::format("{}: {}", where, ec.message()),
                              "use an address of this machine, e.g. 127.0.0.1");
    }
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  asio::error_code last = asio::error::host_not_found;
  for (const auto& ep : endpoints) {
    last = impl_->open(ep, options.reuse_port);
    if (!last) {
      port_ = impl_->local_port();
      impl_->accept();
      return port_;
    }
  }
  return core::make_error("listen_failed",
                          fmt::format("{}: cannot listen: {}", where, last.message()),
                          "choose another port, or 0 for a free one");
}

void Acceptor::close() { impl_->close(); }

}  // namespace loadgen::net
