// transport.cpp: see transport.hpp. The I/O thread sleeps in zmq_poll on the socket and an
// eventfd; send(), reconnect() and close() write the eventfd, so a queued frame leaves at once
// (no poll-interval latency), and every() callbacks run when their time comes.
#include "cluster/transport.hpp"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <zmq.hpp>

namespace loadgen::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// The longest the I/O thread sleeps with nothing to do; wakeups come from the eventfd.
constexpr std::chrono::milliseconds kIdlePoll{100};
// reconnect(): how long the DEALER stays closed before it connects again (see do_reconnect).
constexpr std::chrono::milliseconds kReconnectPause{500};
// Frames received per loop iteration before the thread looks at its timers and outbox again.
constexpr int kReceiveBatch = 1024;

// One context for every inproc endpoint (inproc names live in a context). TCP transports own
// their context, so close() can wait for the linger (zmq_ctx_term) without waiting for others.
zmq::context_t& inproc_context() {
  static zmq::context_t ctx;
  return ctx;
}

bool is_inproc(const std::string& host) { return host == "inproc"; }

// tcp://HOST:PORT as ZeroMQ spells it: "*" for every interface, IPv6 literals in brackets.
std::string tcp_host(const std::string& host) {
  if (host == "*" || host == "0.0.0.0") return "*";
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

bool is_ipv6(const std::string& host) { return host.find(':') != std::string::npos; }

core::Error zmq_error(std::string_view what, const std::string& endpoint, const zmq::error_t& e,
                      std::string hint = {}) {
  return core::make_error(std::string(what) + "_failed",
                          fmt::format("cannot {} {}: {}", what, endpoint, e.what()),
                          std::move(hint));
}

std::uint16_t port_of(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) return 0;
  unsigned long v = 0;
  try {
    v = std::stoul(endpoint.substr(colon + 1));
  } catch (const std::exception&) {
    return 0;
  }
  return v <= 65535 ? static_cast<std::uint16_t>(v) : 0;
}

}  // namespace

struct Transport::Impl {
  enum class Kind { kRouter, kDealer };

  struct Timer {
    std::chrono::milliseconds period;
    Clock::time_point next;
    std::function<void()> f;
  };

  Kind kind = Kind::kDealer;
  std::string endpoint;  // bound (ROUTER) or connected (DEALER) endpoint
  std::string identity;  // DEALER routing id
  bool ipv6 = false;
  std::uint16_t port = 0;
  TransportLimits limits;

  std::unique_ptr<zmq::context_t> own_ctx;  // tcp; null for inproc
  zmq::context_t* ctx = nullptr;
  std::optional<zmq::socket_t> sock;  // the I/O thread's once it runs; empty in a reconnect
  std::optional<Clock::time_point> connect_at;  // I/O thread: when a reconnect connects
  int wake_fd = -1;
  std::thread io;

  std::mutex out_mu;
  std::deque<Frame> outbox;
  std::atomic<std::size_t> in_flight{0};  // frames the I/O thread took from outbox, not yet sent

  mutable std::mutex in_mu;
  std::condition_variable in_cv;
  std::vector<Frame> inbox;

  std::mutex timer_mu;
  std::vector<Timer> new_timers;  // every() → picked up by the I/O thread

  std::atomic<bool> reconnect_requested{false};
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> linger_ms{0};
  std::mutex close_mu;                   // serializes joining the I/O thread
  std::atomic<bool> closed_flag{false};  // set once, under out_mu

  std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0},
      send_failures{0}, rejected_in{0}, inbox_dropped{0}, outbox_dropped{0}, callback_errors{0};

  static core::Result<std::unique_ptr<Impl>> create(const std::string& host,
                                                    const TransportLimits& limits) {
    auto impl = std::make_unique<Impl>();
    impl->limits = limits;
    if (is_inproc(host)) {
      impl->ctx = &inproc_context();
    } else {
      impl->own_ctx = std::make_unique<zmq::context_t>();
      impl->ctx = impl->own_ctx.get();
      impl->ipv6 = is_ipv6(host);
    }
    impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (impl->wake_fd < 0) {
      return core::make_error("transport_failed",
                              fmt::format("cannot create an eventfd: {}", std::strerror(errno)));
    }
    return impl;
  }

  ~Impl() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void wake() const {
    const std::uint64_t one = 1;
    // A full counter (never in practice) still leaves the fd readable: the wakeup is not lost.
    [[maybe_unused]] const auto n = ::write(wake_fd, &one, sizeof one);
  }

  void drain_wake() const {
    std::uint64_t v = 0;
    [[maybe_unused]] const auto n = ::read(wake_fd, &v, sizeof v);
  }

  // Socket options as Locust's rpc/zmqrpc.py sets them (TCP keepalive on, idle 30 s), plus:
  // ROUTER_MANDATORY so a frame for a peer that is gone fails (counted) instead of vanishing;
  // ROUTER_HANDOVER so a worker that reconnects with the same identity (Locust's "reconnect")
  // takes over its old identity even if the old connection is not torn down yet.
  zmq::socket_t make_socket() const {
    zmq::socket_t s(*ctx,
                    kind == Kind::kRouter ? zmq::socket_type::router : zmq::socket_type::dealer);
    s.set(zmq::sockopt::tcp_keepalive, 1);
    s.set(zmq::sockopt::tcp_keepalive_idle, 30);
    s.set(zmq::sockopt::linger, 0);
    // A frame larger than the decoder takes is refused by ZeroMQ itself (it drops the
    // connection), before any memory is spent on it: the master's port faces the network.
    s.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(kMaxFrameBytes));
    if (ipv6) s.set(zmq::sockopt::ipv6, 1);
    if (kind == Kind::kRouter) {
      s.set(zmq::sockopt::router_mandatory, 1);
      s.set(zmq::sockopt::router_handover, 1);
    } else if (!identity.empty()) {
      s.set(zmq::sockopt::routing_id, identity);
    }
    return s;
  }

  // --- I/O thread -----------------------------------------------------------------------

  // Sends the front of `sending` until it is empty or the DEALER's queue is full (returns
  // false: wait for POLLOUT). A ROUTER never waits: a frame it cannot send now is dropped and
  // counted, so one slow or gone worker cannot hold up the others.
  bool flush(std::deque<Frame>& sending) {
    while (!sending.empty()) {
      Frame& f = sending.front();
      try {
        if (kind == Kind::kRouter) {
          auto r =
              sock->send(zmq::buffer(f.peer), zmq::send_flags::dontwait | zmq::send_flags::sndmore);
          if (!r) {
            send_failures.fetch_add(1, std::memory_order_relaxed);  // peer's queue full
          } else {
            // The identity part went through: the payload part goes to the same pipe.
            sock->send(zmq::buffer(f.payload), zmq::send_flags::dontwait);
            frames_out.fetch_add(1, std::memory_order_relaxed);
            bytes_out.fetch_add(f.payload.size(), std::memory_order_relaxed);
          }
        } else {
          auto r = sock->send(zmq::buffer(f.payload), zmq::send_flags::dontwait);
          if (!r) return false;  // high-water mark: keep the frame, wait for POLLOUT
          frames_out.fetch_add(1, std::memory_order_relaxed);
          bytes_out.fetch_add(f.payload.size(), std::memory_order_relaxed);
        }
      } catch (const zmq::error_t&) {
        send_failures.fetch_add(1, std::memory_order_relaxed);  // EHOSTUNREACH: peer gone
      }
      sending.pop_front();
      in_flight.fetch_sub(1, std::memory_order_relaxed);
    }
    return true;
  }

  void take_outbox(std::deque<Frame>& sending) {
    std::lock_guard lock(out_mu);
    // Under out_mu, as reconnect() sets the flag: a frame queued after reconnect() returned
    // goes out on the new socket, never on the old one that is about to be closed.
    if (reconnect_requested.exchange(false)) do_reconnect();
    in_flight.fetch_add(outbox.size(), std::memory_order_relaxed);
    if (sending.empty()) {
      sending.swap(outbox);
    } else {
      for (auto& f : outbox) sending.push_back(std::move(f));
      outbox.clear();
    }
  }

  void receive_some() {
    std::vector<Frame> got;
    for (int n = 0; n < kReceiveBatch; ++n) {
      std::vector<zmq::message_t> parts;
      try {
        zmq::message_t msg;
        if (!sock->recv(msg, zmq::recv_flags::dontwait)) break;
        bool more = msg.more();
        parts.push_back(std::move(msg));
        while (more) {  // the rest of a multipart message is already here (atomic delivery)
          zmq::message_t part;
          if (!sock->recv(part, zmq::recv_flags::dontwait)) break;
          more = part.more();
          parts.push_back(std::move(part));
        }
      } catch (const zmq::error_t&) {
        break;
      }
      const std::size_t want = kind == Kind::kRouter ? 2 : 1;
      if (parts.size() != want) {
        rejected_in.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      Frame f;
      if (kind == Kind::kRouter) f.peer = parts[0].to_string();
      f.payload = parts.back().to_string();
      got.push_back(std::move(f));
    }
    if (got.empty()) return;
    {
      std::lock_guard lock(in_mu);
      for (auto& f : got) {
        if (inbox.size() >= limits.max_inbox_frames) {
          inbox_dropped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        frames_in.fetch_add(1, std::memory_order_relaxed);
        bytes_in.fetch_add(f.payload.size(), std::memory_order_relaxed);
        inbox.push_back(std::move(f));
      }
    }
    in_cv.notify_all();
  }

  // Runs the due timers; returns when the next one is due.
  Clock::time_point run_timers(std::vector<Timer>& timers) {
    {
      std::lock_guard lock(timer_mu);
      for (auto& t : new_timers) timers.push_back(std::move(t));
      new_timers.clear();
    }
    auto now = Clock::now();
    Clock::time_point next = now + kIdlePoll;
    for (auto& t : timers) {
      if (t.next <= now) {
        try {
          t.f();
        } catch (...) {
          callback_errors.fetch_add(1, std::memory_order_relaxed);
        }
        t.next += t.period;
        now = Clock::now();
        // Late (the thread was not scheduled, or a callback was slow): skip the missed runs
        // rather than fire them in a burst.
        if (t.next <= now) t.next = now + t.period;
      }
      next = std::min(next, t.next);
    }
    return next;
  }

  // reconnect(): closes the socket now and connects a new one kReconnectPause later. The pause
  // is for a master ROUTER without ROUTER_HANDOVER (Locust's): it ignores a connection that
  // presents an identity it still holds, and everything sent on it is lost; the old connection
  // has to be torn down at the master first (measured: an immediate reconnect lost its frames
  // most times on loopback). Frames queued meanwhile wait in the outbox.
  void do_reconnect() {
    if (kind != Kind::kDealer) return;
    if (sock) {
      sock->close();  // linger 0: what the old connection still held is stale
      sock.reset();
    }
    connect_at = Clock::now() + kReconnectPause;
  }

  // The new socket of a reconnect, once its pause is over (or `now` on close()).
  void connect_if_due(bool now) {
    if (sock || !connect_at || (!now && Clock::now() < *connect_at)) return;
    connect_at.reset();
    try {
      sock.emplace(make_socket());
      sock->connect(endpoint);
    } catch (const zmq::error_t&) {
      // It connected before, so only a context being torn down fails here: nothing to do.
      sock.reset();
    }
  }

  void run() {
    std::deque<Frame> sending;
    std::vector<Timer> timers;
    while (!stop.load(std::memory_order_acquire)) {
      take_outbox(sending);  // may begin a reconnect
      connect_if_due(false);
      const bool blocked = sock && !flush(sending);  // DEALER queue full: wait for POLLOUT
      if (sock) receive_some();
      auto next = run_timers(timers);
      if (connect_at) next = std::min(next, *connect_at);
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now());
      zmq_pollitem_t items[2] = {
          {nullptr, wake_fd, ZMQ_POLLIN, 0},
          {sock ? sock->handle() : nullptr, 0,
           static_cast<short>(ZMQ_POLLIN | (blocked ? ZMQ_POLLOUT : 0)), 0},
      };
      const long timeout = std::clamp<long>(static_cast<long>(wait.count()), 0, kIdlePoll.count());
      if (zmq_poll(items, sock ? 2 : 1, timeout) < 0 && zmq_errno() == ETERM) break;
      if (items[0].revents & ZMQ_POLLIN) drain_wake();
    }
    shutdown(sending);
  }

  // close(): sends what is queued for at most the linger, then closes the socket with what is
  // left of it (ZeroMQ keeps sending in the background until the context is closed).
  void shutdown(std::deque<Frame>& sending) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(linger_ms.load());
    for (;;) {
      take_outbox(sending);
      connect_if_due(true);  // a reconnect's pause is cut short: the linger is what is left
      if (!sock || flush(sending)) break;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      zmq_pollitem_t items[2] = {{nullptr, wake_fd, ZMQ_POLLIN, 0},
                                 {sock->handle(), 0, ZMQ_POLLOUT, 0}};
      if (zmq_poll(items, 2, static_cast<long>(left.count())) < 0 && zmq_errno() == ETERM) break;
      if (items[0].revents & ZMQ_POLLIN) drain_wake();
    }
    // send() drops since close(): nothing more arrives in the outbox.
    send_failures.fetch_add(sending.size(), std::memory_order_relaxed);
    in_flight.fetch_sub(sending.size(), std::memory_order_relaxed);
    sending.clear();
    if (!sock) return;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    try {
      sock->set(zmq::sockopt::linger, static_cast<int>(std::max<std::int64_t>(0, left.count())));
      sock->close();
    } catch (const zmq::error_t&) {
    }
    sock.reset();
  }
};

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Transport::~Transport() { close(std::chrono::milliseconds(0)); }

// The Impl's members are only touched from here on by the I/O thread (the socket) or under
// their locks; std::thread's constructor orders what this thread wrote before it.
core::Result<std::unique_ptr<Transport>> Transport::bind(const std::string& host,
                                                         std::uint16_t port) {
  return bind(host, port, TransportLimits{});
}

core::Result<std::unique_ptr<Transport>> Transport::bind(const std::string& host,
                                                         std::uint16_t port,
                                                         const TransportLimits& limits) {
  auto made = Impl::create(host, limits);
  if (!made) return made.error();
  auto impl = std::move(made).value();
  impl->kind = Impl::Kind::kRouter;
  try {
    impl->sock.emplace(impl->make_socket());
  } catch (const zmq::error_t& e) {
    return zmq_error("bind", host, e);
  }
  if (is_inproc(host)) {
    // inproc://<port>; port 0 picks a name no other transport of this process uses.
    static std::atomic<std::uint32_t> next_free{50000};
    for (int attempt = 0;; ++attempt) {
      const std::uint16_t p =
          port != 0 ? port : static_cast<std::uint16_t>(next_free.fetch_add(1) % 65535 + 1);
      impl->endpoint = fmt::format("inproc://{}", p);
      try {
        impl->sock->bind(impl->endpoint);
        impl->port = p;
        break;
      } catch (const zmq::error_t& e) {
        if (port != 0 || e.num() != EADDRINUSE || attempt > 1000) {
          return zmq_error("bind", impl->endpoint, e);
        }
      }
    }
  } else {
    const std::string wanted = fmt::format("tcp://{}:{}", tcp_host(host),
                                           port == 0 ? std::string("*") : std::to_string(port));
    try {
      impl->sock->bind(wanted);
      impl->endpoint = impl->sock->get(zmq::sockopt::last_endpoint);
    } catch (const zmq::error_t& e) {
      return zmq_error(
          "bind", wanted, e,
          e.num() == EADDRINUSE ? "another process listens there: choose another port" : "");
    }
    impl->port = port != 0 ? port : port_of(impl->endpoint);
  }
  Impl* raw = impl.get();
  impl->io = std::thread([raw] { raw->run(); });
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

core::Result<std::unique_ptr<Transport>> Transport::connect(const std::string& host,
                                                            std::uint16_t port,
                                                            const std::string& identity) {
  return connect(host, port, identity, TransportLimits{});
}

core::Result<std::unique_ptr<Transport>> Transport::connect(const std::string& host,
                                                            std::uint16_t port,
                                                            const std::string& identity,
                                                            const TransportLimits& limits) {
  auto made = Impl::create(host, limits);
  if (!made) return made.error();
  auto impl = std::move(made).value();
  impl->kind = Impl::Kind::kDealer;
  impl->identity = identity;
  impl->port = port;
  impl->endpoint = is_inproc(host) ? fmt::format("inproc://{}", port)
                                   : fmt::format("tcp://{}:{}", tcp_host(host), port);
  if (identity.size() > 255) {  // ZMTP limit on a routing id
    return core::make_error(
        "connect_failed",
        fmt::format("cannot connect {}: identity longer than 255 bytes", impl->endpoint));
  }
  try {
    impl->sock.emplace(impl->make_socket());
    impl->sock->connect(impl->endpoint);
  } catch (const zmq::error_t& e) {
    return zmq_error("connect", impl->endpoint, e);
  }
  Impl* raw = impl.get();
  impl->io = std::thread([raw] { raw->run(); });
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

std::uint16_t Transport::port() const { return impl_->port; }

void Transport::send(Frame f) {
  {
    std::lock_guard lock(impl_->out_mu);
    if (impl_->closed_flag.load(std::memory_order_acquire) ||
        impl_->outbox.size() + impl_->in_flight.load(std::memory_order_relaxed) >=
            impl_->limits.max_outbox_frames) {
      impl_->outbox_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    impl_->outbox.push_back(std::move(f));
  }
  impl_->wake();
}

std::vector<Frame> Transport::receive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->in_mu);
  impl_->in_cv.wait_for(lock, timeout, [&] {
    return !impl_->inbox.empty() || impl_->closed_flag.load(std::memory_order_acquire);
  });
  std::vector<Frame> out;
  out.swap(impl_->inbox);
  return out;
}

void Transport::every(std::chrono::milliseconds period, std::function<void()> f) {
  period = std::max(period, std::chrono::milliseconds(1));
  {
    std::lock_guard lock(impl_->timer_mu);
    impl_->new_timers.push_back({period, Clock::now() + period, std::move(f)});
  }
  impl_->wake();
}

void Transport::reconnect() {
  {
    std::lock_guard lock(impl_->out_mu);
    impl_->reconnect_requested.store(true);
  }
  impl_->wake();
}

void Transport::close(std::chrono::milliseconds linger) {
  {
    // The first close() sets the linger. From here send() drops: what is queued now is what
    // the linger covers.
    std::lock_guard out_lock(impl_->out_mu);
    if (!impl_->closed_flag.load(std::memory_order_relaxed)) {
      impl_->linger_ms.store(std::max<std::int64_t>(0, linger.count()));
      impl_->closed_flag.store(true, std::memory_order_release);
      impl_->stop.store(true, std::memory_order_release);
    }
  }
  impl_->wake();
  {
    std::lock_guard in_lock(impl_->in_mu);  // receive() waiters return at once
  }
  impl_->in_cv.notify_all();
  // From an every() callback: the thread ends once the callback returns; the destructor
  // joins it.
  if (std::this_thread::get_id() == impl_->io.get_id()) return;
  std::lock_guard lock(impl_->close_mu);  // one joiner; a concurrent close() waits for it
  if (impl_->io.joinable()) impl_->io.join();
  // zmq_ctx_term waits until the socket's lingering frames left or the linger ran out.
  if (impl_->own_ctx) impl_->own_ctx->close();
}

TransportCounters Transport::counters() const {
  const auto& i = *impl_;
  TransportCounters c;
  c.frames_in = i.frames_in.load();
  c.frames_out = i.frames_out.load();
  c.bytes_in = i.bytes_in.load();
  c.bytes_out = i.bytes_out.load();
  c.send_failures = i.send_failures.load();
  c.rejected_in = i.rejected_in.load();
  c.inbox_dropped = i.inbox_dropped.load();
  c.outbox_dropped = i.outbox_dropped.load();
  c.callback_errors = i.callback_errors.load();
  return c;
}

}  // namespace loadgen::cluster
