#include "client/connection.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/connect.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <coroutine>
#include <vector>

namespace loadgen::client {

namespace {

// Awaits one Asio asynchronous operation started by `start(handler)`.
template <class Start>
struct AsioAwaiter {
  Start start;
  IoResult result{};
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    start([this, h](const asio::error_code& ec, std::size_t n = 0) {
      result.ec = ec;
      result.n = n;
      h.resume();
    });
  }
  IoResult await_resume() const noexcept { return result; }
};
template <class Start>
AsioAwaiter<Start> await_op(Start s) {
  return AsioAwaiter<Start>{std::move(s)};
}

struct ResolveAwaiter {
  asio::ip::tcp::resolver& resolver;
  const std::string& host;
  std::string service;
  asio::error_code ec{};
  asio::ip::tcp::resolver::results_type results{};
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    resolver.async_resolve(
        host, service, asio::ip::tcp::resolver::numeric_service,
        [this, h](const asio::error_code& e, asio::ip::tcp::resolver::results_type r) {
          ec = e;
          results = std::move(r);
          h.resume();
        });
  }
  void await_resume() const noexcept {}
};

// Thread-local pool of read buffers: sized once, never re-zeroed.
std::vector<std::string>& read_buffers() {
  thread_local std::vector<std::string> pool;
  return pool;
}

std::string tls_error_detail(const asio::error_code& ec) {
  std::string msg = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    const unsigned long err = ERR_peek_last_error();
    if (err != 0) {
      char buf[256];
      ERR_error_string_n(err, buf, sizeof buf);
      msg = buf;
    }
  }
  ERR_clear_error();
  return msg;
}

}  // namespace

Connection::Connection(LoopImpl& loop, std::string_view scheme, std::string_view host,
                       std::uint16_t port)
    : loop_(loop),
      host_(host),
      port_(port),
      tls_(scheme == "https"),
      sock_(loop.io().get_executor()) {
  loop_.link(*this);
}

Connection::~Connection() {
  close();
  release_buffer();
  if (!rbuf.empty()) std::string().swap(rbuf);
  loop_.unlink(*this);
}

void Connection::on_deadline() {
  asio::error_code ignored;
  sock_.cancel(ignored);
}

void Connection::close() {
  if (sock_.is_open()) {
    asio::error_code ignored;
    sock_.close(ignored);
  }
  ssl_.reset();
  open_ = false;
  rpos = rlen = 0;
}

// Kill: close the socket so pending operations complete (operation_aborted), but keep the TLS
// stream: an in-flight TLS operation still uses it when it completes. It goes in close() or
// the destructor, once nothing is in flight.
void Connection::abort() {
  if (sock_.is_open()) {
    asio::error_code ignored;
    sock_.close(ignored);
  }
  open_ = false;
  rpos = rlen = 0;
}

void Connection::compact() {
  if (rpos == 0) return;
  if (rpos < rlen) std::memmove(rbuf.data(), rbuf.data() + rpos, rlen - rpos);
  rlen -= rpos;
  rpos = 0;
}

void Connection::release_buffer() {
  if (rpos != rlen || rbuf.empty()) return;
  rpos = rlen = 0;
  auto& pool = read_buffers();
  // A few spare buffers per loop; an idle user holds none.
  if (rbuf.size() == kReadChunk && pool.size() < 16) {
    pool.push_back(std::move(rbuf));
  }
  std::string().swap(rbuf);
}

core::Task<ConnectResult> Connection::connect(std::int64_t deadline) {
  close();
  arm_deadline(deadline);
  ConnectResult out;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  asio::error_code ec;
  const auto addr = asio::ip::make_address(host_, ec);
  if (!ec) {
    endpoints.emplace_back(addr, port_);
  } else if (const auto* cached = loop_.cached_endpoints(host_, port_)) {
    endpoints = *cached;
  } else {
    ResolveAwaiter r{loop_.resolver(), host_, std::to_string(port_)};
    co_await r;
    if (r.ec == asio::error::operation_aborted) {
      out.outcome = Outcome::kCancelled;
      co_return out;
    }
    if (r.ec || r.results.empty()) {
      clear_deadline();
      out.outcome = Outcome::kResolve;
      out.detail = fmt::format("cannot resolve '{}': {}", host_,
                               r.ec ? r.ec.message() : std::string("no addresses"));
      co_return out;
    }
    for (const auto& e : r.results) endpoints.push_back(e.endpoint());
    loop_.cache_endpoints(host_, port_, endpoints);
  }

  asio::error_code last;
  bool connected = false;
  for (const auto& ep : endpoints) {
    if (sock_.is_open()) sock_.close(ec);
    sock_.open(ep.protocol(), ec);
    if (ec) {
      last = ec;
      continue;
    }
    auto res = co_await await_op([&](auto handler) {
      sock_.async_connect(ep, [handler](const asio::error_code& e) mutable { handler(e, 0); });
    });
    if (!res.ec) {
      connected = true;
      break;
    }
    last = res.ec;
    if (expired || res.ec == asio::error::operation_aborted) break;
  }
  if (!connected) {
    close();
    const bool timed_out = expired;
    clear_deadline();
    if (timed_out) {
      out.outcome = Outcome::kConnectTimeout;
      out.detail = fmt::format("connect to {}:{} timed out", host_, port_);
    } else if (last == asio::error::operation_aborted) {
      out.outcome = Outcome::kCancelled;
    } else if (last == asio::error::connection_refused) {
      out.outcome = Outcome::kConnectRefused;
      out.detail = fmt::format("{} ({}:{})", last.message(), host_, port_);
    } else {
      out.outcome = Outcome::kConnect;
      out.detail = fmt::format("{} ({}:{})", last.message(), host_, port_);
    }
    co_return out;
  }
  sock_.set_option(asio::ip::tcp::no_delay(true), ec);
  sock_.non_blocking(true, ec);

  if (tls_) {
    ssl_ = std::make_unique<asio::ssl::stream<TcpSocket&>>(sock_, loop_.tls_context());
    if (asio::ip::make_address(host_, ec); ec) {
      // SNI (RFC 6066 §3) only for names, never for IP literals.
      SSL_ctrl(ssl_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host_.c_str()));
    }
    if (loop_.tls_verify()) {
      ssl_->set_verify_callback(asio::ssl::host_name_verification(host_));
    }
    auto res = co_await await_op([&](auto handler) {
      ssl_->async_handshake(asio::ssl::stream_base::client,
                            [handler](const asio::error_code& e) mutable { handler(e, 0); });
    });
    if (res.ec) {
      const bool timed_out = expired;
      clear_deadline();
      if (res.ec == asio::error::operation_aborted && !timed_out) {
        close();
        out.outcome = Outcome::kCancelled;
        co_return out;
      }
      out.outcome = timed_out ? Outcome::kConnectTimeout : Outcome::kTls;
      out.detail = timed_out ? fmt::format("TLS handshake with {}:{} timed out", host_, port_)
                             : fmt::format("{} ({}:{})", tls_error_detail(res.ec), host_, port_);
      close();
      co_return out;
    }
  }
  clear_deadline();
  open_ = true;
  uses_ = 0;
  co_return out;
}

core::Task<IoResult> Connection::write_all(std::string_view data) {
  IoResult res;
  if (expired) {
    res.ec = asio::error::timed_out;
    co_return res;
  }
  if (!ssl_) {
    // Fast path: a non-blocking write usually takes the whole request at once.
    std::size_t done = 0;
    while (done < data.size()) {
      asio::error_code ec;
      const std::size_t n =
          sock_.write_some(asio::buffer(data.data() + done, data.size() - done), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) {
        res.ec = ec;
        res.n = done;
        co_return res;
      }
      done += n;
    }
    if (done == data.size()) {
      res.n = done;
      co_return res;
    }
    auto rest = data.substr(done);
    auto r = co_await await_op([&](auto handler) {
      asio::async_write(sock_, asio::buffer(rest.data(), rest.size()), std::move(handler));
    });
    r.n += done;
    co_return r;
  }
  auto r = co_await await_op([&](auto handler) {
    asio::async_write(*ssl_, asio::buffer(data.data(), data.size()), std::move(handler));
  });
  co_return r;
}

core::Task<IoResult> Connection::read_more(std::size_t max_size) {
  // A read never starts after the deadline: a peer that keeps bytes coming completes every
  // read at once, so the sweep's cancel alone would never be seen.
  if (expired) co_return IoResult{asio::error::timed_out, 0};
  if (rbuf.empty()) {
    auto& pool = read_buffers();
    if (!pool.empty()) {
      rbuf = std::move(pool.back());
      pool.pop_back();
    } else {
      rbuf.resize(kReadChunk);
    }
  }
  if (rlen == rbuf.size()) {
    if (rpos > 0) {
      compact();
    } else if (rbuf.size() < max_size) {
      rbuf.resize(std::min(rbuf.size() * 2, max_size));
    } else {
      co_return IoResult{asio::error::message_size, 0};
    }
  }
  char* p = rbuf.data() + rlen;
  const std::size_t room = rbuf.size() - rlen;
  IoResult r;
  if (ssl_) {
    r = co_await await_op(
        [&](auto handler) { ssl_->async_read_some(asio::buffer(p, room), std::move(handler)); });
  } else {
    r = co_await await_op(
        [&](auto handler) { sock_.async_read_some(asio::buffer(p, room), std::move(handler)); });
  }
  rlen += r.n;
  co_return r;
}

}  // namespace loadgen::client
