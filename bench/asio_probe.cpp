// asio_probe: the keep-alive GET loop of bench/uring_probe written the way net::Connection does
// it (a non-blocking write_some, then async_read_some), to measure Asio's own backends: built as
// asio_probe (epoll reactor, what loadgen uses) and asio_probe_uring (ASIO_HAS_IO_URING with
// ASIO_DISABLE_EPOLL: Asio's io_uring service is the reactor). Used by bench/uring-vs-epoll.
//
//   asio_probe --port P [--host 127.0.0.1] [--path /index.html] [--connections 50] [--duration 5]
//              [--batch N --batch-us U]
//
// With --batch, the loop is run_one() + poll() and, when that turn ran fewer than N handlers,
// a nap of U microseconds (what net::EventLoop::run could do instead of io_context::run()).
// Prints one JSON line like uring_probe's (requests, errors, wall/user/sys seconds).
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "probe_http.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBufSize = 4096;

struct Totals {
  unsigned long long requests = 0, errors = 0;
  unsigned long long latency_ns = 0;  // sum: write to the response's last byte seen
};

using loadgen::bench::content_length;

class Client {
 public:
  Client(asio::io_context& io, const asio::ip::tcp::endpoint& ep, const std::string& req,
         const bool& running, Totals& totals)
      : sock_(io), req_(req), running_(running), totals_(totals) {
    sock_.connect(ep);
    sock_.set_option(asio::ip::tcp::no_delay(true));
    sock_.non_blocking(true);
  }

  void start() { send(); }

 private:
  void send() {
    // As net::Connection::write_all: a non-blocking write usually takes the whole request.
    asio::error_code ec;
    sent_ = Clock::now();
    std::size_t n = sock_.write_some(asio::buffer(req_), ec);
    if (ec || n != req_.size()) {
      std::fprintf(stderr, "asio_probe: short or failed write: %s\n", ec.message().c_str());
      std::exit(2);
    }
    read();
  }

  void read() {
    sock_.async_read_some(asio::buffer(buf_ + have_, kBufSize - have_),
                          [this](const asio::error_code& ec, std::size_t n) { on_read(ec, n); });
  }

  void on_read(const asio::error_code& ec, std::size_t n) {
    if (ec) {
      std::fprintf(stderr, "asio_probe: read: %s\n", ec.message().c_str());
      std::exit(2);
    }
    have_ += n;
    if (need_ == 0) {
      std::string_view v(buf_, have_);
      std::size_t end = v.find("\r\n\r\n");
      if (end == std::string_view::npos) return read();
      need_ = end + 4 + content_length(v.substr(0, end + 2));
      if (v.substr(0, 12) != "HTTP/1.1 200") ++totals_.errors;
    }
    if (have_ < need_) {
      if (have_ == kBufSize) have_ = 0, need_ -= kBufSize;
      return read();
    }
    have_ = need_ = 0;
    ++totals_.requests;
    totals_.latency_ns += static_cast<unsigned long long>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sent_).count());
    if (running_) send();
  }

  asio::ip::tcp::socket sock_;
  const std::string& req_;
  const bool& running_;
  Totals& totals_;
  Clock::time_point sent_{};
  std::size_t have_ = 0, need_ = 0;
  char buf_[kBufSize];
};

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", path = "/index.html";
  int port = 0, connections = 50;
  double duration_s = 5;
  int batch = 0, batch_us = 200;
  unsigned long long turns = 0, naps = 0;  // with --batch: loop turns, and those that napped
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--host") {
      host = v;
    } else if (a == "--port") {
      port = std::atoi(v);
    } else if (a == "--path") {
      path = v;
    } else if (a == "--connections") {
      connections = std::atoi(v);
    } else if (a == "--duration") {
      duration_s = std::atof(v);
    } else if (a == "--batch") {
      batch = std::atoi(v);
    } else if (a == "--batch-us") {
      batch_us = std::atoi(v);
    }
  }
  if (port <= 0 || connections <= 0 || duration_s <= 0) {
    std::fprintf(stderr,
                 "usage: asio_probe --port P [--host H] [--path P] [--connections N]"
                 " [--duration S] [--batch N --batch-us U]\n");
    return 2;
  }
  // Naps and ring timeouts as asked: the default 50 us timer slack would stretch a 20 us nap
  // to ~70 us (and the latency a response waits unread with it).
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) + "\r\n\r\n";
  asio::io_context io(1);
  asio::ip::tcp::endpoint ep(asio::ip::make_address(host), static_cast<unsigned short>(port));
  bool running = true;
  Totals totals;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < connections; ++i)
    clients.push_back(std::make_unique<Client>(io, ep, req, running, totals));
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto start = Clock::now();
  asio::steady_timer stop(
      io, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s)));
  stop.async_wait([&](const asio::error_code&) {
    running = false;  // in-flight responses complete; no new request starts
  });
  for (auto& c : clients) c->start();
  if (batch <= 0) {
    io.run();
  } else {
    // A napping loop: after a turn that ran fewer than `batch` handlers, sleep batch_us so
    // that the next turn finds more ready (fewer sleeps and wake-ups per request).
    timespec nap{0, batch_us * 1000L};
    for (;;) {
      std::size_t ran = io.run_one();
      if (ran == 0) break;
      ran += io.poll();
      ++turns;
      if (ran < static_cast<std::size_t>(batch)) {
        ++naps;
        nanosleep(&nap, nullptr);
      }
    }
  }
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  getrusage(RUSAGE_SELF, &after);
  double user = seconds(after.ru_utime) - seconds(before.ru_utime);
  double sys = seconds(after.ru_stime) - seconds(before.ru_stime);
#if defined(ASIO_HAS_IO_URING_AS_DEFAULT)
  const char* mode = batch > 0 ? "asio-uring-batch" : "asio-uring";
#else
  const char* mode = batch > 0 ? "asio-epoll-batch" : "asio-epoll";
#endif
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"requests\":%llu,\"errors\":%llu,\"wall_s\":%.3f,"
      "\"user_s\":%.3f,\"sys_s\":%.3f,\"req_per_cpu_s\":%.0f,\"latency_us\":%.1f,\"turns\":%llu,"
      "\"naps\":%llu}\n",
      mode, connections, totals.requests, totals.errors, wall, user, sys,
      user + sys > 0 ? static_cast<double>(totals.requests) / (user + sys) : 0.0,
      totals.requests
          ? static_cast<double>(totals.latency_ns) / 1e3 / static_cast<double>(totals.requests)
          : 0.0,
      turns, naps);
  return totals.requests > 0 ? 0 : 1;
}
