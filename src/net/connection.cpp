#include "net/connection.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <asio/connect.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <coroutine>
#include <vector>

#include "core/clock.hpp"
#include "net/connection_impl.hpp"
#include "net/event_loop.hpp"

namespace loadgen::net {

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

// Thread-local pool of read buffers: sized once, never re-zeroed. At most kSpareBuffers, with
// room for all of them from the start (a push_back never allocates on the request path). A
// connection holds a buffer only while it reads a response; up to kSpareBuffers reads in
// flight at once per loop (the benchmarks' 50 users) come and go without malloc (beyond that
// the extra buffers are freed and made again), for at most 512 KiB of spares per loop.
constexpr std::size_t kSpareBuffers = 64;
std::vector<std::string>& read_buffers() {
  thread_local std::vector<std::string> pool = [] {
    std::vector<std::string> v;
    v.reserve(kSpareBuffers);
    return v;
  }();
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

// Linux turns receive time stamping on for the whole host when a first socket asks for it and
// off when the last such socket closes, each time after a delay (deferred work): segments that
// arrive meanwhile carry no stamp. One socket that asks, open for the process's life, keeps it
// on across connections that come and go.
void keep_rx_timestamps_on() {
  static const int keeper = [] {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    return fd;
  }();
  (void)keeper;
}

// One non-blocking recvmsg into [p, p + room): its result (-1 with errno set when nothing
// was read). `stamp` becomes the kernel's receive time of the last segment read, as
// monotonic ns, when the socket has SO_TIMESTAMPNS on (outgoing plain-TCP connections).
long recv_stamped(int fd, char* p, std::size_t room, std::int64_t& stamp) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  iovec iov{p, room};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const long n = ::recvmsg(fd, &m, MSG_DONTWAIT);  // what the sanitizers see (as in write_all)
#else
  // A direct syscall: glibc's recvmsg() adds thread-cancellation bookkeeping that a
  // non-blocking socket never needs.
  const long n = ::syscall(SYS_recvmsg, fd, &m, MSG_DONTWAIT);
#endif
  if (n > 0) {
    for (cmsghdr* h = CMSG_FIRSTHDR(&m); h != nullptr; h = CMSG_NXTHDR(&m, h)) {
      if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(h), sizeof ts);
        stamp = core::mono_ns_of_wall(static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 +
                                      ts.tv_nsec);
      }
    }
  }
  return n;
}

// A socket's registration with the reactor is protected in basic_socket; a member pointer
// formed in a derived class reaches it without an object of that class.
struct SocketAccess : TcpSocket {
  static auto member() { return &SocketAccess::impl_; }
};

// A plain-TCP read as the reactor does its own (async_read_some): a speculative recv when the
// operation starts, else queued until epoll reports the socket readable (without re-arming
// epoll, which async_wait does with an epoll_ctl per wait), then the recv. Only the recv is
// ours: a recvmsg that keeps the kernel's receive time stamp. The operation lives in the
// awaiting coroutine's frame (nothing allocated) and resumes it; Asio 1.22's reactor_op
// interface (Debian's libasio-dev).
struct StampedRead final : asio::detail::reactor_op {
  StampedRead(int f, char* b, std::size_t n)
      : reactor_op(asio::error_code(), &perform_read, &complete), fd(f), p(b), room(n) {}

  static status perform_read(asio::detail::reactor_op* base) {
    auto* o = static_cast<StampedRead*>(base);
    for (;;) {
      const long n = recv_stamped(o->fd, o->p, o->room, o->stamp);
      if (n > 0) {
        o->bytes_transferred_ = static_cast<std::size_t>(n);
        return done;
      }
      if (n == 0) {
        o->ec_ = asio::error::eof;
        return done_and_exhausted;  // as Asio's stream recv at end of stream
      }
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return not_done;
      o->ec_ = asio::error_code(err, asio::error::get_system_category());
      return done;
    }
  }
  // owner null: the io_context is being destroyed with the read pending; the coroutine is
  // not resumed (as a dropped handler).
  static void complete(void* owner, asio::detail::scheduler_operation* base,
                       const asio::error_code&, std::size_t) {
    if (owner != nullptr) static_cast<StampedRead*>(base)->waiter.resume();
  }

  int fd;
  char* p;
  std::size_t room;
  std::int64_t stamp = 0;
  std::coroutine_handle<> waiter;
};

struct StampedReadAwaiter {
  ConnectionImpl& c;
  StampedRead op;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    op.waiter = h;
    auto& impl = (c.sock.*SocketAccess::member()).get_implementation();
    c.reactor.start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, &op, false,
                       true);
  }
  IoResult await_resume() const noexcept {
    IoResult r;
    r.ec = op.ec_;
    r.n = op.bytes_transferred_;
    // A stamp in the future: the wall clock was stepped forward since the thread read its
    // offset (read again now); the clock stands in. (One stepped back is caught by the client:
    // a stamp before the request's start.)
    const std::int64_t now = core::mono_ns();
    if (op.stamp != 0 && op.stamp <= now) {
      r.at_ns = op.stamp;
    } else {
      if (op.stamp != 0) core::detail::read_anchor(core::detail::clock_anchor());
      r.at_ns = now;
    }
    return r;
  }
};

}  // namespace

bool is_eof(const std::error_code& ec) { return ec == asio::error::eof; }
bool is_message_size(const std::error_code& ec) { return ec == asio::error::message_size; }
bool is_timed_out(const std::error_code& ec) { return ec == asio::error::timed_out; }

Connection::Connection(EventLoop& loop, std::string_view scheme, std::string_view host,
                       std::uint16_t port)
    : impl_(std::make_unique<ConnectionImpl>(loop.impl())),
      counters_(&loop.impl().connection_counters()),
      host_(host),
      port_(port),
      tls_(scheme == "https") {}

Connection::Connection(std::unique_ptr<ConnectionImpl> impl)
    : impl_(std::move(impl)), tls_(impl_->ssl != nullptr), open_(impl_->sock.is_open()) {}

Connection::~Connection() {
  close();
  release_buffer();
  if (!rbuf.empty()) std::string().swap(rbuf);
}

void Connection::arm_deadline(std::int64_t d) {
  impl_->deadline_ns = d;
  impl_->expired = false;
}
bool Connection::deadline_expired() const { return impl_->expired; }
void Connection::clear_deadline() {
  impl_->deadline_ns = 0;
  impl_->expired = false;
}

void Connection::shutdown_send() {
  asio::error_code ignored;
  impl_->sock.shutdown(asio::socket_base::shutdown_send, ignored);
}

void Connection::note_closed() {
  if (open_ && counters_ != nullptr) ConnectionCounters::bump(counters_->closed);
  open_ = false;
}

bool Connection::idle_alive() {
  if (!open_ || !impl_->sock.is_open()) return false;
  if (impl_->ssl && SSL_pending(impl_->ssl->native_handle()) > 0) return false;
  char byte;
  const ssize_t n = ::recv(impl_->sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  // 0: the peer closed (FIN); > 0: bytes nobody asked for (a 408, a TLS close_notify);
  // < 0: reset. Either way the connection cannot carry the next request.
  close();
  return false;
}

void Connection::close() {
  if (impl_->sock.is_open()) {
    asio::error_code ignored;
    impl_->sock.close(ignored);
  }
  impl_->ssl.reset();
  note_closed();
  rpos = rlen = 0;
}

// Kill: close the socket so pending operations complete (operation_aborted), but keep the TLS
// stream: an in-flight TLS operation still uses it when it completes. It goes in close() or
// the destructor, once nothing is in flight.
void Connection::abort() {
  if (impl_->sock.is_open()) {
    asio::error_code ignored;
    impl_->sock.close(ignored);
  }
  note_closed();
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
  if (rbuf.size() == kReadChunk && pool.size() < kSpareBuffers) {
    pool.push_back(std::move(rbuf));
  }
  std::string().swap(rbuf);
}

core::Task<ConnectResult> Connection::connect(std::int64_t deadline) {
  close();
  arm_deadline(deadline);
  if (!tls_) keep_rx_timestamps_on();
  ConnectResult out;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  asio::error_code ec;
  const auto addr = asio::ip::make_address(host_, ec);
  if (!ec) {
    endpoints.emplace_back(addr, port_);
  } else if (const auto* cached = impl_->loop.cached_endpoints(host_, port_)) {
    endpoints = *cached;
  } else {
    ResolveAwaiter r{impl_->loop.resolver(), host_, std::to_string(port_)};
    co_await r;
    if (r.ec == asio::error::operation_aborted) {
      out.status = ConnectStatus::kCancelled;
      co_return out;
    }
    if (r.ec || r.results.empty()) {
      clear_deadline();
      out.status = ConnectStatus::kResolve;
      out.detail = fmt::format("cannot resolve '{}': {}", host_,
                               r.ec ? r.ec.message() : std::string("no addresses"));
      co_return out;
    }
    for (const auto& e : r.results) endpoints.push_back(e.endpoint());
    impl_->loop.cache_endpoints(host_, port_, endpoints);
  }

  asio::error_code last;
  bool connected = false;
  for (const auto& ep : endpoints) {
    if (impl_->sock.is_open()) impl_->sock.close(ec);
    impl_->sock.open(ep.protocol(), ec);
    if (ec) {
      last = ec;
      continue;
    }
    LoopImpl& loop = impl_->loop;
    loop.begin_unstamped();
    auto res = co_await await_op([&](auto handler) {
      impl_->sock.async_connect(ep, [handler, &loop](const asio::error_code& e) mutable {
        loop.end_unstamped();
        handler(e, 0);
      });
    });
    if (!res.ec) {
      connected = true;
      break;
    }
    last = res.ec;
    if (impl_->expired || res.ec == asio::error::operation_aborted) break;
  }
  if (!connected) {
    close();
    const bool timed_out = impl_->expired;
    clear_deadline();
    if (timed_out) {
      out.status = ConnectStatus::kTimeout;
      out.detail = fmt::format("connect to {}:{} timed out", host_, port_);
    } else if (last == asio::error::operation_aborted) {
      out.status = ConnectStatus::kCancelled;
    } else if (last == asio::error::connection_refused) {
      out.status = ConnectStatus::kRefused;
      out.detail = fmt::format("{} ({}:{})", last.message(), host_, port_);
    } else {
      out.status = ConnectStatus::kFailed;
      out.detail = fmt::format("{} ({}:{})", last.message(), host_, port_);
    }
    co_return out;
  }
  impl_->sock.set_option(asio::ip::tcp::no_delay(true), ec);
  impl_->sock.non_blocking(true, ec);
  if (!tls_) {
    // Kernel receive time stamps: a response ends when its last segment reached this host,
    // not when the loop got round to reading it (a nap, other users' handlers). Refused or
    // unsupported: the read's own clock reading stands in (read_more).
    const int on = 1;
    ::setsockopt(impl_->sock.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  }

  if (tls_) {
    impl_->ssl =
        std::make_unique<asio::ssl::stream<TcpSocket&>>(impl_->sock, impl_->loop.tls_context());
    if (asio::ip::make_address(host_, ec); ec) {
      // SNI (RFC 6066 §3) only for names, never for IP literals.
      SSL_ctrl(impl_->ssl->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host_.c_str()));
    }
    if (impl_->loop.tls_verify()) {
      impl_->ssl->set_verify_callback(asio::ssl::host_name_verification(host_));
    }
    LoopImpl& loop = impl_->loop;
    loop.begin_unstamped();
    auto res = co_await await_op([&](auto handler) {
      impl_->ssl->async_handshake(asio::ssl::stream_base::client,
                                  [handler, &loop](const asio::error_code& e) mutable {
                                    loop.end_unstamped();
                                    handler(e, 0);
                                  });
    });
    if (res.ec) {
      const bool timed_out = impl_->expired;
      clear_deadline();
      if (res.ec == asio::error::operation_aborted && !timed_out) {
        close();
        out.status = ConnectStatus::kCancelled;
        co_return out;
      }
      out.status = timed_out ? ConnectStatus::kTimeout : ConnectStatus::kTls;
      out.detail = timed_out ? fmt::format("TLS handshake with {}:{} timed out", host_, port_)
                             : fmt::format("{} ({}:{})", tls_error_detail(res.ec), host_, port_);
      close();
      co_return out;
    }
  }
  clear_deadline();
  open_ = true;
  uses_ = 0;
  if (counters_ != nullptr) {
    ConnectionCounters::bump(counters_->opened);
    const std::uint64_t now_open = counters_->opened.load(std::memory_order_relaxed) -
                                   counters_->closed.load(std::memory_order_relaxed);
    if (now_open > counters_->peak_open.load(std::memory_order_relaxed))
      counters_->peak_open.store(now_open, std::memory_order_relaxed);
  }
  co_return out;
}

core::Task<bool> Connection::accept_handshake(std::int64_t deadline) {
  if (!impl_->ssl) co_return true;
  arm_deadline(deadline);
  auto res = co_await await_op([&](auto handler) {
    impl_->ssl->async_handshake(asio::ssl::stream_base::server,
                                [handler](const asio::error_code& e) mutable { handler(e, 0); });
  });
  if (res.ec) ERR_clear_error();  // a client that is not speaking TLS: nothing to keep
  co_return !res.ec;
}

core::Task<IoResult> Connection::write_all(std::string_view data) {
  IoResult res;
  if (impl_->expired) {
    res.ec = asio::error::timed_out;
    co_return res;
  }
  if (!impl_->ssl) {
    // Fast path: a non-blocking write usually takes the whole request at once. A direct
    // sendto: glibc's send() wraps the call in thread-cancellation bookkeeping that a
    // non-blocking socket never needs (Asio's write_some goes through it).
    std::size_t done = 0;
    const int fd = impl_->sock.native_handle();
    while (done < data.size()) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
      // Sanitizers check (and TSan tracks) what goes through libc's send(), not a raw syscall.
      const long n =
          ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
#else
      const long n = ::syscall(SYS_sendto, fd, data.data() + done, data.size() - done,
                               MSG_NOSIGNAL | MSG_DONTWAIT, nullptr, 0);
#endif
      if (n < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        res.ec = asio::error_code(err, asio::error::get_system_category());
        res.n = done;
        co_return res;
      }
      done += static_cast<std::size_t>(n);
    }
    if (done == data.size()) {
      wrote_ = true;
      res.n = done;
      co_return res;
    }
    auto rest = data.substr(done);
    auto r = co_await await_op([&](auto handler) {
      asio::async_write(impl_->sock, asio::buffer(rest.data(), rest.size()), std::move(handler));
    });
    r.n += done;
    co_return r;
  }
  auto r = co_await await_op([&](auto handler) {
    asio::async_write(*impl_->ssl, asio::buffer(data.data(), data.size()), std::move(handler));
  });
  co_return r;
}

core::Task<IoResult> Connection::read_more(std::size_t max_size) {
  // A read never starts after the deadline: a peer that keeps bytes coming completes every
  // read at once, so the sweep's cancel alone would never be seen.
  if (impl_->expired) co_return IoResult{asio::error::timed_out, 0};
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
  if (wrote_ && !impl_->ssl) {
    // Right after a request went out its response is rarely there yet, and the read tries a
    // recv at once (EAGAIN: a syscall for nothing) before it waits for epoll. Under load the
    // loop has other ready handlers: run them first, and the response has often arrived when
    // this read starts. Nothing to wait for when the deadline passed meanwhile.
    wrote_ = false;
    co_await EventLoop::YieldAwaiter{&impl_->loop};
    if (impl_->expired) co_return IoResult{asio::error::timed_out, 0, core::mono_ns()};
  }
  wrote_ = false;
  char* p = rbuf.data() + rlen;
  const std::size_t room = rbuf.size() - rlen;
  IoResult r;
  if (impl_->ssl) {
    LoopImpl& loop = impl_->loop;
    loop.begin_unstamped();
    r = co_await await_op([&](auto handler) {
      impl_->ssl->async_read_some(asio::buffer(p, room), [handler, &loop](const asio::error_code& e,
                                                                          std::size_t n) mutable {
        loop.end_unstamped();
        handler(e, n);
      });
    });
    r.at_ns = core::mono_ns();  // resumed by the completion: this is its time
    rlen += r.n;
    co_return r;
  }
  // Plain TCP: the reactor's read with a recvmsg that keeps the kernel's receive time stamp.
  // The deadline sweep and abort() cancel it (operation_aborted), as any Asio operation.
  r = co_await StampedReadAwaiter{*impl_, StampedRead(impl_->sock.native_handle(), p, room)};
  rlen += r.n;
  co_return r;
}

}  // namespace loadgen::net
