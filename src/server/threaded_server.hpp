// ThreadedServer: an HttpServer on an event loop and a thread of its own, for servers beside
// the load (Prometheus /metrics, the web UI and its API): started and stopped from one
// controlling thread; the handler runs on the server's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "server/http_server.hpp"

namespace loadgen::net {
class EventLoop;
}

namespace loadgen::server {

class ThreadedServer {
 public:
  ThreadedServer();
  ~ThreadedServer();  // stop()
  ThreadedServer(const ThreadedServer&) = delete;
  ThreadedServer& operator=(const ThreadedServer&) = delete;

  // Binds host:port and serves on the new thread; returns the bound port, or HttpServer's
  // listen error (host:port and the reason), with nothing left running.
  core::Result<std::uint16_t> start(const std::string& host, std::uint16_t port, Handler handler,
                                    ServerOptions options);
  // Ends the connections on the server's loop, then the loop and the thread. Idempotent.
  void stop();

 private:
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

}  // namespace loadgen::server
