// Connection handling: read, parse (http::parse_request_head + BodyDecoder), authenticate, call
// the handler, write; repeat while keep-alive (RFC 9112 §9.3). Errors in requests get
// 400/413/431/505 and close the connection (RFC 9112 §3, §6.3) after a lingering close.
#include "server/http_server.hpp"

#include <algorithm>
#include <exception>
#include <list>
#include <utility>

#include "core/clock.hpp"
#include "core/task.hpp"
#include "http/request_parser.hpp"
#include "net/acceptor.hpp"
#include "net/connection.hpp"
#include "net/event_loop.hpp"

namespace loadgen::server {

namespace {

constexpr std::size_t kMaxDrain = 4 * 1024 * 1024;  // lingering close: bytes
constexpr std::int64_t kLingerNs = 2'000'000'000;   // lingering close: time
constexpr std::size_t kMaxBodyChunk = net::Connection::kReadChunk;

Response default_error(int status, std::string_view reason) {
  Response r;
  r.status = status;
  r.body = "{\"error\":\"" + std::string(reason) + "\"}";
  return r;
}

}  // namespace

struct Session {
  std::unique_ptr<net::Connection> conn;
  net::Sleeper sleeper;
  std::string out;  // the response being written; its capacity is reused
  std::list<Session*>::iterator self;
  std::int64_t accepted_ns = 0;
  bool served = false;   // completed a request: never evicted for a newcomer
  bool evicted = false;  // aborted to make room; its coroutine is ending
};

struct HttpServer::State {
  State(net::EventLoop& l, Handler h, ServerOptions o)
      : loop(l), handler(std::move(h)), options(std::move(o)) {
    if (!options.error_response) options.error_response = default_error;
  }
  net::EventLoop& loop;
  Handler handler;
  ServerOptions options;
  std::unique_ptr<net::Acceptor> acceptor;
  std::list<Session*> sessions;
  std::size_t evicted = 0;  // sessions aborted to make room, not yet finished
  bool stopping = false;
  std::function<void()> on_stopped;

  void accept(std::unique_ptr<net::Connection> conn);
  bool evict_oldest_unproven();
  void finished(Session* s);
  core::Task<void> serve(Session& s);
  core::Task<bool> respond(Session& s, Response resp, bool keep_alive, bool head_only);
  core::Task<void> linger(Session& s);
  std::int64_t deadline() const {
    return core::mono_ns() + std::chrono::nanoseconds(options.limits.idle_timeout).count();
  }
};

void HttpServer::State::accept(std::unique_ptr<net::Connection> conn) {
  if (stopping) return;  // closes it
  if (sessions.size() - evicted >= options.limits.max_connections && !evict_oldest_unproven()) {
    return;
  }
  auto* s = new Session{std::move(conn), {}, {}, {}, core::mono_ns()};
  s->self = sessions.insert(sessions.end(), s);
  core::spawn(serve(*s), [this, s](std::exception_ptr) { finished(s); });
}

// Aborts the oldest session that has not completed a request (its pending read ends at once);
// false when there is none.
bool HttpServer::State::evict_oldest_unproven() {
  Session* victim = nullptr;
  for (Session* s : sessions) {
    if (s->served || s->evicted) continue;
    if (victim == nullptr || s->accepted_ns < victim->accepted_ns) victim = s;
  }
  if (victim == nullptr) return false;
  victim->evicted = true;
  ++evicted;
  victim->conn->abort();
  loop.wake(victim->sleeper);
  return true;
}

void HttpServer::State::finished(Session* s) {
  if (s->evicted) --evicted;
  sessions.erase(s->self);
  s->conn->close();
  delete s;
  if (stopping && sessions.empty() && on_stopped) std::exchange(on_stopped, {})();
}

core::Task<void> HttpServer::State::serve(Session& s) {
  net::Connection& c = *s.conn;
  const Limits& lim = options.limits;
  thread_local http::RequestHead head;
  http::BodyDecoder decoder;
  Request req;
  if (!co_await c.accept_handshake(deadline()) || stopping) co_return;
  for (;;) {
    // The whole request (head and body) within the idle timeout: a client that dribbles bytes
    // cannot hold the connection longer than an idle one; and the head within head_timeout
    // of its first byte.
    const std::int64_t request_deadline = deadline();
    c.arm_deadline(request_deadline);
    bool head_started = false;
    http::HeadResult hr{};
    for (;;) {
      if (!head_started && c.rpos < c.rlen) {
        head_started = true;
        const auto head_ns = std::chrono::nanoseconds(lim.head_timeout).count();
        c.arm_deadline(std::min(request_deadline, core::mono_ns() + head_ns));
      }
      hr = http::parse_request_head(c.rbuf.data() + c.rpos, c.rlen - c.rpos, head, lim.max_head);
      if (hr.kind != http::HeadResult::Kind::kNeedMore) break;
      if (c.rpos == c.rlen) c.rpos = c.rlen = 0;
      c.compact();
      const net::IoResult rd = co_await c.read_more(lim.max_head + net::Connection::kReadChunk);
      if (stopping) co_return;
      if (net::is_message_size(rd.ec)) {
        hr.kind = http::HeadResult::Kind::kError;
        hr.error = http::ParseError::kHeadTooLarge;
        break;
      }
      if (rd.ec) co_return;  // closed, idle too long, or reset: nothing to answer
    }
    if (hr.kind == http::HeadResult::Kind::kError) {
      const int status = hr.error == http::ParseError::kHeadTooLarge ? 431
                         : hr.error == http::ParseError::kBadVersion ? 505
                                                                     : 400;
      co_await respond(s, options.error_response(status, http::to_string(hr.error)), false, false);
      co_return;
    }
    c.arm_deadline(request_deadline);  // the body: within the request's deadline
    req.method.assign(head.method);
    req.target.assign(head.target);
    const std::size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string::npos ? std::string() : req.target.substr(q + 1);
    req.headers.clear();
    for (const http::HeaderField& f : head.fields) req.headers.emplace_back(f.name, f.value);
    req.body.clear();
    const bool keep_alive = head.keep_alive;
    const bool head_only = req.method == "HEAD";
    const bool http11 = head.version_minor >= 1;
    c.rpos += hr.consumed;
    if (head.body_mode == http::BodyMode::kLength && head.content_length > lim.max_body) {
      co_await respond(s, options.error_response(413, "request body too large"), false, false);
      co_return;
    }
    decoder.start(head.body_mode, head.content_length);
    // RFC 9110 §10.1.1: answer 100 (Continue) before reading a body the client holds back.
    if (!decoder.done() && c.rpos == c.rlen && http11 &&
        iequals(req.header("expect"), "100-continue")) {
      const net::IoResult w = co_await c.write_all("HTTP/1.1 100 Continue\r\n\r\n");
      if (stopping || w.ec) co_return;
    }
    bool body_ok = true;
    for (;;) {
      const std::size_t n = decoder.feed(c.rbuf.data() + c.rpos, c.rlen - c.rpos, &req.body);
      c.rpos += n;
      if (decoder.error() != http::ParseError::kNone) {
        co_await respond(s, options.error_response(400, http::to_string(decoder.error())), false,
                         false);
        co_return;
      }
      if (req.body.size() > lim.max_body) {
        body_ok = false;
        break;
      }
      if (decoder.done()) break;
      if (c.rpos == c.rlen) c.rpos = c.rlen = 0;
      c.compact();
      const net::IoResult rd = co_await c.read_more(lim.max_head + kMaxBodyChunk);
      if (stopping || rd.ec) co_return;
    }
    if (!body_ok) {
      co_await respond(s, options.error_response(413, "request body too large"), false, false);
      co_return;
    }
    Response resp;
    if (options.authenticate && !options.authenticate(req)) {
      resp = options.error_response(401, "authentication required");
      resp.headers.emplace_back("WWW-Authenticate", options.challenge);
    } else {
      try {
        resp = handler(req);
      } catch (const std::exception&) {
        resp = options.error_response(500, "internal error");
      }
    }
    s.served = true;
    if (!co_await respond(s, std::move(resp), keep_alive, head_only)) co_return;
    if (c.rpos == c.rlen) {
      c.rpos = c.rlen = 0;
      c.release_buffer();  // an idle keep-alive connection holds no buffer
    }
  }
}

// Writes the answer; false when the connection is done (error, or not kept alive).
core::Task<bool> HttpServer::State::respond(Session& s, Response resp, bool keep_alive,
                                            bool head_only) {
  net::Connection& c = *s.conn;
  std::string& out = s.out;
  out.clear();
  out += "HTTP/1.1 ";
  out += std::to_string(resp.status);
  out += ' ';
  out += reason_phrase(resp.status);
  out += "\r\n";
  if (!options.name.empty()) out += "Server: " + options.name + "\r\n";
  // RFC 9110 §8.6: no Content-Length (and no content) in a 204.
  if (resp.status != 204) {
    out += "Content-Type: " + resp.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
  }
  if (!resp.allow.empty()) out += "Allow: " + resp.allow + "\r\n";
  for (const auto& [name, value] : resp.headers) out += name + ": " + value + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (resp.status != 204 && !head_only) out += resp.body;
  if (resp.delay.count() > 0) {
    c.clear_deadline();  // the delay is ours, not the client's
    co_await loop.sleep(s.sleeper, resp.delay);
    if (stopping) co_return false;
  }
  c.arm_deadline(deadline());
  const net::IoResult w = co_await c.write_all(out);
  if (stopping || w.ec) co_return false;
  if (!keep_alive) {
    co_await linger(s);
    co_return false;
  }
  co_return true;
}

// Lingering close (RFC 9112 §9.6): send FIN, then read and discard what the client is still
// sending (bounded in time and bytes) so that its unread data does not turn our close into a
// reset that destroys the response before the client reads it (e.g. a 413).
core::Task<void> HttpServer::State::linger(Session& s) {
  net::Connection& c = *s.conn;
  c.shutdown_send();
  c.arm_deadline(core::mono_ns() + kLingerNs);
  std::size_t drained = 0;
  while (drained <= kMaxDrain) {
    c.rpos = c.rlen = 0;
    const net::IoResult rd = co_await c.read_more(net::Connection::kReadChunk);
    if (stopping || rd.ec) co_return;
    drained += rd.n;
  }
}

HttpServer::HttpServer(net::EventLoop& loop, Handler handler, ServerOptions options)
    : state_(std::make_shared<State>(loop, std::move(handler), std::move(options))) {
  State* st = state_.get();
  state_->acceptor = std::make_unique<net::Acceptor>(
      loop, [st](std::unique_ptr<net::Connection> c) { st->accept(std::move(c)); });
}

HttpServer::~HttpServer() {
  state_->acceptor->close();
  // Sessions still listed were never resumed (the loop stopped): their frames are abandoned
  // with the loop; shutdown() first avoids that.
}

core::Result<std::uint16_t> HttpServer::listen(const std::string& host, std::uint16_t port,
                                               bool reuse_port) {
  net::Acceptor::Options o;
  o.reuse_port = reuse_port;
  o.tls_certificate_file = state_->options.tls_certificate_file;
  o.tls_key_file = state_->options.tls_key_file;
  return state_->acceptor->listen(host, port, o);
}

void HttpServer::shutdown(std::function<void()> done) {
  State& st = *state_;
  st.stopping = true;
  st.acceptor->close();
  if (st.sessions.empty()) {
    if (done) done();
    return;
  }
  st.on_stopped = std::move(done);
  for (Session* s : st.sessions) {
    s->conn->abort();  // pending reads and writes complete with operation_aborted
    st.loop.wake(s->sleeper);
  }
}

std::size_t HttpServer::connections() const { return state_->sessions.size(); }

}  // namespace loadgen::server
