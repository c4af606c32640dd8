#include "web/web_server.hpp"

#include <fmt/format.h>

#include <chrono>
#include <utility>

namespace loadgen::web {

WebServer::WebServer() = default;

WebServer::~WebServer() { stop(); }

core::Status WebServer::start(const std::string& host, std::uint16_t port, engine::Runner& runner,
                              ApiSettings settings, const std::string& auth, const WebTls& tls) {
  add_api_routes(router_, runner, std::move(settings));
  router_.set_not_found_body("not found: see / for loadgen's routes\n");
  server::ServerOptions options;
  // A browser, a proxy and a few scripts: small limits, so idle or hostile clients cost little.
  options.limits.max_head = 16 * 1024;
  options.limits.max_body = 64 * 1024;
  options.limits.idle_timeout = std::chrono::seconds(30);
  options.limits.max_connections = 256;
  options.name = "loadgen";
  options.tls_certificate_file = tls.certificate_file;
  options.tls_key_file = tls.key_file;
  if (!auth.empty()) {
    options.authenticate = [auth](const server::Request& r) { return basic_auth_ok(r, auth); };
    options.challenge = "Basic realm=\"loadgen\"";
  }
  auto bound = server_.start(
      host, port, [this](const server::Request& r) { return router_.route(r); },
      std::move(options));
  if (!bound) {
    // The acceptor names a TLS file that does not load as "TLS certificate/key <file>: ...".
    const bool tls_file = bound.error().message.find(": TLS ") != std::string::npos;
    return core::make_error("listen_failed",
                            fmt::format("--web-host/--web-port {}", bound.error().message),
                            tls_file ? "give --tls-cert (LOCUST_TLS_CERT) a PEM certificate chain "
                                       "and --tls-key (LOCUST_TLS_KEY) its private key"
                                     : "choose another port with --web-port (LOCUST_WEB_PORT)");
  }
  port_ = *bound;
  return core::Ok{};
}

void WebServer::stop() { server_.stop(); }

}  // namespace loadgen::web
