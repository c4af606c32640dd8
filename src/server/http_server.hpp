// HttpServer: the one small HTTP/1.1 server (RFC 9112), on one net::EventLoop: keep-alive and
// pipelining, bounded request heads (431) and bodies (413), malformed requests 400 (505 for a
// version other than 1.x) and close, an idle timeout per connection, a time limit on each
// request head, a bound on connections (that a flood of silent connections cannot hold),
// 100-continue, an authentication hook (401 + WWW-Authenticate), delayed answers on the loop.
// Used by shopsim, Prometheus /metrics and the tests; several loops may each run one on the
// same port (listen with reuse_port), as shopsim --threads does.
// Thread: everything on the loop's thread, except listen() before the loop runs. The handler
// runs on the loop's thread: it must not block for long (it holds up every connection).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "server/message.hpp"
#include "server/router.hpp"

namespace loadgen::net {
class EventLoop;
}

namespace loadgen::server {

struct Limits {
  std::size_t max_head = 64 * 1024;    // request line + fields; over: 431
  std::size_t max_body = 1024 * 1024;  // decoded body; over: 413
  // A connection must deliver each request (head and body) and take each response within this
  // long, and may sit idle between requests no longer: then it is closed without an answer.
  std::chrono::milliseconds idle_timeout{60'000};
  // From the first byte of a request head to its end (a slowloris that keeps sending one byte
  // at a time is closed after this long, well before the idle timeout).
  std::chrono::milliseconds head_timeout{10'000};
  // At the bound, a new connection replaces the oldest one that has not completed a request yet
  // (silent since it connected, or still dribbling its first head); when every connection has
  // completed one, the new one is closed as soon as accepted.
  std::size_t max_connections = 10'000;
};

struct ServerOptions {
  Limits limits;
  std::string name;  // the Server field ("" = none)
  // Authentication hook (e.g. basic auth): called before the handler; false answers 401 with
  // `WWW-Authenticate: <challenge>` (RFC 9110 §11.6.1). Unset = every request is allowed.
  std::function<bool(const Request&)> authenticate;
  std::string challenge = "Basic realm=\"loadgen\"";
  // HTTPS: PEM certificate chain and private key (both or neither); listen() fails naming the
  // file that does not load.
  std::string tls_certificate_file{};
  std::string tls_key_file{};
  // Builds the body of the server's own errors (400/413/431/500/505) from a short reason;
  // default: {"error":"<reason>"} as application/json.
  std::function<Response(int status, std::string_view reason)> error_response;
};

class HttpServer {
 public:
  HttpServer(net::EventLoop& loop, Handler handler, ServerOptions options = {});
  // Destroy only after shutdown() reported done, or when the loop will never run again.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port (useful with port 0). The error names
  // host:port and the reason (code "listen_failed").
  core::Result<std::uint16_t> listen(const std::string& host, std::uint16_t port,
                                     bool reuse_port = false);
  // Stops accepting, closes every connection (in-flight answers are dropped) and calls `done`
  // on the loop's thread once the last connection's coroutine has ended (a gate: nothing of
  // the server runs after it).
  void shutdown(std::function<void()> done);
  std::size_t connections() const;

  struct State;  // http_server.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace loadgen::server
