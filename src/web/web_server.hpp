// WebServer: the web mode's HTTP server (the API of web/api.hpp, optional basic auth) on a
// server::ThreadedServer (its own event loop and thread), so that a slow client never holds up
// the workers or the driving thread.
// Thread: start() and stop() from the driving thread; the handlers run on the server's thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "engine/runner.hpp"
#include "server/router.hpp"
#include "server/threaded_server.hpp"
#include "web/api.hpp"

namespace loadgen::web {

// HTTPS for the web UI (--tls-cert/--tls-key): PEM files; both empty = plain HTTP.
struct WebTls {
  std::string certificate_file;
  std::string key_file;
};

class WebServer {
 public:
  WebServer();
  ~WebServer();  // stop()
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds host:port (port 0: any) and starts serving; `auth` "user:pass" turns on basic auth
  // for every route ("" = none). The error names the address and the reason (code
  // "listen_failed"; a TLS file that does not load is named). `runner` must outlive stop().
  core::Status start(const std::string& host, std::uint16_t port, engine::Runner& runner,
                     ApiSettings settings, const std::string& auth, const WebTls& tls = {});
  std::uint16_t port() const { return port_; }
  // Ends every connection and joins the thread; idempotent.
  void stop();

 private:
  std::uint16_t port_ = 0;
  server::Router router_;
  server::ThreadedServer server_;  // last: stopped (destroyed) before the router it calls
};

}  // namespace loadgen::web
