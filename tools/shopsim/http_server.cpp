// Connection handling: read, parse (http::parse_request_head + BodyDecoder), call the handler,
// write; repeat while keep-alive (RFC 9112 §9.3). Errors in requests get 400/413/431/505 and
// close the connection (RFC 9112 §3, §6.3).
#include "http_server.hpp"

#include <array>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>
#include <cstdio>
#include <exception>

#include "http/request_parser.hpp"

namespace loadgen::shopsim {

namespace {

using asio::ip::tcp;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

Response error_response(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = "{\"error\":\"" + std::string(message) + "\"}";
  return r;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Shared> shared)
      : socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        delay_timer_(socket_.get_executor()),
        shared_(std::move(shared)) {}

  ~Session() { --shared_->connections; }

  void start() { process(); }

 private:
  void read_more() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    const std::uint64_t gen = ++read_gen_;
    idle_timer_.expires_after(shared_->limits.idle_timeout);
    idle_timer_.async_wait([self = shared_from_this(), gen](const asio::error_code& ec) {
      if (!ec && gen == self->read_gen_) self->close();
    });
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                              ++self->read_gen_;
                              self->idle_timer_.cancel();
                              if (ec) {
                                self->close();
                                return;
                              }
                              self->buf_.append(self->chunk_.data(), n);
                              self->process();
                            });
  }

  void process() {
    if (!in_body_) {
      if (pos_ == buf_.size()) return read_more();
      const http::HeadResult r = http::parse_request_head(buf_.data() + pos_, buf_.size() - pos_,
                                                          head_, shared_->limits.max_head);
      switch (r.kind) {
        case http::HeadResult::Kind::kNeedMore:
          return read_more();
        case http::HeadResult::Kind::kError: {
          const int status = r.error == http::ParseError::kHeadTooLarge ? 431
                             : r.error == http::ParseError::kBadVersion ? 505
                                                                        : 400;
          return respond(error_response(status, http::to_string(r.error)), false, false);
        }
        case http::HeadResult::Kind::kDone:
          break;
      }
      req_.method.assign(head_.method);
      req_.target.assign(head_.target);
      const std::size_t q = req_.target.find('?');
      req_.path = req_.target.substr(0, q);
      req_.query = q == std::string::npos ? std::string() : req_.target.substr(q + 1);
      req_.headers.clear();
      for (const http::HeaderField& f : head_.fields) req_.headers.emplace_back(f.name, f.value);
      req_.body.clear();
      keep_alive_ = head_.keep_alive;
      head_only_ = req_.method == "HEAD";
      pos_ += r.consumed;
      if (head_.body_mode == http::BodyMode::kLength &&
          head_.content_length > shared_->limits.max_body) {
        return respond(error_response(413, "request body over 1 MiB"), false, false);
      }
      decoder_.start(head_.body_mode, head_.content_length);
      in_body_ = true;
      // RFC 9110 §10.1.1: answer 100 (Continue) before reading a body the client holds back.
      if (!decoder_.done() && pos_ == buf_.size() && head_.version_minor >= 1 &&
          iequals(req_.header("expect"), "100-continue")) {
        out_ = "HTTP/1.1 100 Continue\r\n\r\n";
        asio::async_write(socket_, asio::buffer(out_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                            if (ec) return self->close();
                            self->process();
                          });
        return;
      }
    }
    const std::size_t n = decoder_.feed(buf_.data() + pos_, buf_.size() - pos_, &req_.body);
    pos_ += n;
    if (decoder_.error() != http::ParseError::kNone) {
      return respond(error_response(400, http::to_string(decoder_.error())), false, false);
    }
    if (req_.body.size() > shared_->limits.max_body) {
      return respond(error_response(413, "request body over 1 MiB"), false, false);
    }
    if (!decoder_.done()) return read_more();
    in_body_ = false;
    Response resp;
    try {
      resp = shared_->handler(req_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "shopsim: handler failed: %s\n", e.what());
      resp = error_response(500, "internal error");
    }
    respond(std::move(resp), keep_alive_, head_only_);
  }

  void respond(Response resp, bool keep_alive, bool head_only) {
    out_.clear();
    out_ += "HTTP/1.1 " + std::to_string(resp.status) + " ";
    out_ += reason_phrase(resp.status);
    out_ += "\r\nServer: shopsim\r\n";
    // RFC 9110 §8.6: no Content-Length (and no content) in a 204.
    if (resp.status != 204) {
      out_ += "Content-Type: " + resp.content_type + "\r\n";
      out_ += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
    }
    if (!resp.allow.empty()) out_ += "Allow: " + resp.allow + "\r\n";
    if (!keep_alive) out_ += "Connection: close\r\n";
    out_ += "\r\n";
    if (resp.status != 204 && !head_only) out_ += resp.body;
    keep_alive_ = keep_alive;
    if (resp.delay.count() > 0) {
      delay_timer_.expires_after(resp.delay);
      delay_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (ec) return self->close();
        self->write();
      });
      return;
    }
    write();
  }

  void write() {
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                        if (ec) return self->close();
                        if (!self->keep_alive_) return self->linger();
                        self->process();
                      });
  }

  // Lingering close (RFC 9112 §9.6): send FIN, then read and discard what the client is still
  // sending (bounded in time and bytes) so that its unread data does not turn our close into a
  // reset that destroys the response before the client reads it (e.g. a 413).
  void linger() {
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    idle_timer_.expires_after(std::chrono::seconds(2));
    idle_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->close();
    });
    drain();
  }

  void drain() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrain) return self->close();
                              self->drain();
                            });
  }

  void close() {
    asio::error_code ignored;
    idle_timer_.cancel();
    delay_timer_.cancel();
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  asio::steady_timer delay_timer_;
  std::shared_ptr<HttpServer::Shared> shared_;
  std::array<char, 16 * 1024> chunk_{};
  std::string buf_;
  std::size_t pos_ = 0;
  std::uint64_t read_gen_ = 0;
  std::size_t drained_ = 0;
  static constexpr std::size_t kMaxDrain = 4 * 1024 * 1024;
  http::RequestHead head_;
  http::BodyDecoder decoder_;
  bool in_body_ = false;
  bool keep_alive_ = true;
  bool head_only_ = false;
  Request req_;
  std::string out_;
};

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

std::vector<std::string_view> Request::headers_named(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) out.emplace_back(v);
  }
  return out;
}

HttpServer::HttpServer(asio::io_context& io, Handler handler, ServerLimits limits)
    : io_(io), acceptor_(io), shared_(std::make_shared<Shared>()) {
  shared_->handler = std::move(handler);
  shared_->limits = limits;
}

HttpServer::~HttpServer() { close(); }

core::Result<std::uint16_t> HttpServer::listen(const std::string& host, std::uint16_t port) {
  asio::error_code ec;
  const asio::ip::address addr = asio::ip::make_address(host, ec);
  if (ec) {
    return core::make_error("bad_value", "--host " + host + ": not an IP address",
                            "use a numeric address such as 127.0.0.1");
  }
  const tcp::endpoint ep(addr, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::make_error(
        "listen_failed",
        "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message(),
        "choose another port, or 0 for a free one");
  }
  const std::uint16_t bound = acceptor_.local_endpoint(ec).port();
  accept();
  return bound;
}

void HttpServer::close() {
  asio::error_code ignored;
  acceptor_.close(ignored);
}

void HttpServer::accept() {
  acceptor_.async_accept(asio::make_strand(io_),
                         [this](const asio::error_code& ec, tcp::socket socket) {
                           if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
                           if (!ec) {
                             if (shared_->connections.load() >= shared_->limits.max_connections) {
                               asio::error_code ignored;
                               socket.close(ignored);
                             } else {
                               ++shared_->connections;
                               asio::error_code ignored;
                               socket.set_option(tcp::no_delay(true), ignored);
                               std::make_shared<Session>(std::move(socket), shared_)->start();
                             }
                           }
                           accept();
                         });
}

}  // namespace loadgen::shopsim
