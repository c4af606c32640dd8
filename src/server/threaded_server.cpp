#include "server/threaded_server.hpp"

#include <utility>

#include "net/event_loop.hpp"

namespace loadgen::server {

ThreadedServer::ThreadedServer() = default;
ThreadedServer::~ThreadedServer() { stop(); }

core::Result<std::uint16_t> ThreadedServer::start(const std::string& host, std::uint16_t port,
                                                  Handler handler, ServerOptions options) {
  loop_ = std::make_unique<net::EventLoop>();
  server_ = std::make_unique<HttpServer>(*loop_, std::move(handler), std::move(options));
  auto bound = server_->listen(host, port);
  if (!bound) {
    server_.reset();
    loop_.reset();
    return bound;
  }
  thread_ = std::thread([this] { loop_->run(); });
  return bound;
}

void ThreadedServer::stop() {
  if (!thread_.joinable()) return;
  // The server ends its connections on its loop, then the loop stops.
  loop_->post([this] { server_->shutdown([this] { loop_->post([this] { loop_->stop(); }); }); });
  thread_.join();
  server_.reset();
  loop_.reset();
}

}  // namespace loadgen::server
