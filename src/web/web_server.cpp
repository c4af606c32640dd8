#include "web/web_server.hpp"

#include <fmt/format.h>

#include <chrono>
#include <utility>

#include "net/event_loop.hpp"
#include "server/http_server.hpp"

namespace loadgen::web {

WebServer::WebServer() = default;

WebServer::~WebServer() { stop(); }

core::Status WebServer::start(const std::string& host, std::uint16_t port, engine::Runner& runner,
                              ApiSettings settings, const std::string& auth) {
  add_api_routes(router_, runner, std::move(settings));
  router_.set_not_found_body("not found: see / for loadgen's routes\n");
  server::ServerOptions options;
  // A browser, a proxy and a few scripts: small limits, so idle or hostile clients cost little.
  options.limits.max_head = 16 * 1024;
  options.limits.max_body = 64 * 1024;
  options.limits.idle_timeout = std::chrono::seconds(30);
  options.limits.max_connections = 256;
  options.name = "loadgen";
  if (!auth.empty()) {
    options.authenticate = [auth](const server::Request& r) { return basic_auth_ok(r, auth); };
    options.challenge = "Basic realm=\"loadgen\"";
  }
  loop_ = std::make_unique<net::EventLoop>();
  server_ = std::make_unique<server::HttpServer>(
      *loop_, [this](const server::Request& r) { return router_.route(r); }, std::move(options));
  auto bound = server_->listen(host, port);
  if (!bound) {
    server_.reset();
    loop_.reset();
    return core::make_error("listen_failed",
                            fmt::format("--web-host/--web-port {}", bound.error().message),
                            "choose another port with --web-port (LOCUST_WEB_PORT)");
  }
  port_ = *bound;
  thread_ = std::thread([this] { loop_->run(); });
  return core::Ok{};
}

void WebServer::stop() {
  if (!thread_.joinable()) return;
  // The server ends its connections on its loop, then the loop stops.
  loop_->post([this] { server_->shutdown([this] { loop_->post([this] { loop_->stop(); }); }); });
  thread_.join();
  server_.reset();
  loop_.reset();
}

}  // namespace loadgen::web
