// latency_server: an HTTP/1.1 server on 127.0.0.1 that answers every request after a fixed delay
// and measures its own time per request, for the latency-accuracy test and bench (issue 16), and
// a loopback round-trip probe.
//
//   latency_server --delay-us D [--port-file F] [--log F] [--otlp-file F]
//     Serves until SIGTERM/SIGINT (keep-alive, any number of connections, one epoll thread).
//     Every request is answered D µs after the read that completed its head (a timerfd; other
//     connections are not held up); GET /__rtt is answered at once. Server time per request =
//     from just after that read to just before the write of the answer (CLOCK_MONOTONIC); the
//     answer carries it in `X-Server-Ns`. On exit writes --log: one line per delayed request,
//     "TRACE_ID SERVER_NS" (TRACE_ID from the `traceparent` field, "-" without one), and prints
//     "requests N mean_server_ns M" on stdout. Prints "PORT n" on stdout (flushed) when
//     listening, and writes the same line to --port-file. POST /v1/... (an OTLP/HTTP export,
//     e.g. loadgen's own spans) is answered at once with an empty 200 and not timed; with
//     --otlp-file its bodies are appended there, each after its length (4 bytes, little-endian).
//   latency_server --rtt-probe PORT [--count N] [--pause-us P]
//     N sequential GET /__rtt on one kept-alive connection (P µs apart): the round trip (to
//     the reply's kernel receive time stamp, as loadgen times a response) minus the server's
//     own time of each; prints "rtt_ns median M p10 A p90 B min C count N".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

constexpr std::string_view kBody = "ok";

// The answer: the same bytes for delayed and immediate requests but the server time.
std::string answer(std::int64_t server_ns) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ";
  out += std::to_string(kBody.size());
  out += "\r\nX-Server-Ns: ";
  out += std::to_string(server_ns);
  out += "\r\n\r\n";
  out += kBody;
  return out;
}

bool iequal_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

// The value of a field (name lower-case, with the colon) in a request head; empty without one.
std::string_view field(std::string_view head, std::string_view name_colon) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const std::string_view line = head.substr(pos + 2);
    const std::size_t end = line.find("\r\n");
    const std::string_view one = line.substr(0, end);
    if (iequal_prefix(one, name_colon)) {
      std::string_view v = one.substr(name_colon.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      return v;
    }
    if (end == std::string_view::npos) break;
    pos += 2 + end;
  }
  return {};
}

struct Conn {
  int fd = -1;
  std::uint64_t gen = 0;
  std::string in;
  std::string out;       // bytes the socket did not take yet
  std::size_t skip = 0;  // body bytes of the current request still to discard
};

struct Pending {
  int fd;
  std::uint64_t gen;
  std::int64_t received;
  std::int64_t due;
  char trace[33];
};

struct Record {
  char trace[33];
  std::int64_t server_ns;
};

class Server {
 public:
  Server(std::int64_t delay_ns, std::string log_path, FILE* otlp)
      : delay_ns_(delay_ns), log_path_(std::move(log_path)), otlp_(otlp) {}

  int listen_and_serve(const char* port_file) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) die("socket");
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (listen(listen_fd_, 4096) != 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    const int port = ntohs(addr.sin_port);

    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (epfd_ < 0 || timer_fd_ < 0 || signal_fd_ < 0) die("epoll/timerfd/signalfd");
    watch(listen_fd_, EPOLLIN);
    watch(timer_fd_, EPOLLIN);
    watch(signal_fd_, EPOLLIN);
    records_.reserve(1 << 16);

    std::printf("PORT %d\n", port);
    std::fflush(stdout);
    if (port_file != nullptr) {
      const std::string tmp = std::string(port_file) + ".tmp";
      if (FILE* f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f, "PORT %d\n", port);
        std::fclose(f);
        std::rename(tmp.c_str(), port_file);
      }
    }

    std::vector<epoll_event> events(256);
    while (!stop_) {
      const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        const auto& ev = events[static_cast<std::size_t>(i)];
        const int fd = ev.data.fd;
        if (fd == listen_fd_) {
          accept_all();
        } else if (fd == timer_fd_) {
          std::uint64_t ticks = 0;
          [[maybe_unused]] const ssize_t r = read(timer_fd_, &ticks, sizeof ticks);
          fire_due();
        } else if (fd == signal_fd_) {
          stop_ = true;
        } else {
          on_ready(fd, ev.events);
        }
      }
    }
    return finish();
  }

 private:
  void watch(int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Conn& c = conns_[fd];
      c = Conn{};
      c.fd = fd;
      c.gen = ++next_gen_;
      watch(fd, EPOLLIN | EPOLLRDHUP);
    }
  }

  void close_conn(int fd) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);  // a pending answer for it finds another generation (or none) and is dropped
  }

  void on_ready(int fd, std::uint32_t events) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Conn& c = it->second;
    if ((events & EPOLLOUT) != 0 && !flush(c)) return;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
    char buf[16384];
    for (;;) {
      const ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        // Server time starts here: just after the read that brought the bytes.
        const std::int64_t received = mono_ns();
        c.in.append(buf, static_cast<std::size_t>(r));
        if (!parse(c, received)) return;
        continue;
      }
      if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_conn(fd);
        return;
      }
      if (errno == EAGAIN) return;
    }
  }

  // Takes every complete request out of c.in; false when the connection was closed.
  bool parse(Conn& c, std::int64_t received) {
    for (;;) {
      if (c.skip > 0) {
        const std::size_t n = std::min(c.skip, c.in.size());
        c.in.erase(0, n);
        c.skip -= n;
        if (c.skip > 0) return true;
      }
      const std::size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c.in.size() > 65536) {
          close_conn(c.fd);
          return false;
        }
        return true;
      }
      const std::string_view head(c.in.data(), end + 2);
      const std::string_view cl = field(head, "content-length:");
      std::size_t body = 0;
      for (char ch : cl) {
        if (ch < '0' || ch > '9') break;
        body = body * 10 + static_cast<std::size_t>(ch - '0');
      }
      const bool rtt = head.substr(0, 11) == "GET /__rtt ";
      if (head.substr(0, 9) == "POST /v1/") {
        // An OTLP/HTTP export (loadgen's spans): kept for the caller, answered at once, not
        // timed.
        if (c.in.size() < end + 4 + body) return true;
        if (otlp_ != nullptr) {
          const auto len = static_cast<std::uint32_t>(body);
          const unsigned char le[4] = {static_cast<unsigned char>(len & 0xffU),
                                       static_cast<unsigned char>((len >> 8) & 0xffU),
                                       static_cast<unsigned char>((len >> 16) & 0xffU),
                                       static_cast<unsigned char>((len >> 24) & 0xffU)};
          std::fwrite(le, 1, sizeof le, otlp_);
          std::fwrite(c.in.data() + end + 4, 1, body, otlp_);
        }
        c.in.erase(0, end + 4 + body);
        c.out +=
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
        if (!flush(c)) return false;
        continue;
      }
      Pending p{};
      p.fd = c.fd;
      p.gen = c.gen;
      p.received = received;
      p.due = received + delay_ns_;
      std::snprintf(p.trace, sizeof p.trace, "-");
      const std::string_view tp = field(head, "traceparent:");
      if (tp.size() >= 35) std::snprintf(p.trace, sizeof p.trace, "%.32s", tp.data() + 3);
      c.in.erase(0, end + 4);
      c.skip = body;
      if (rtt) {
        if (!respond(c, p, false)) return false;
      } else {
        pending_.push_back(p);
        if (pending_.size() == 1) arm();
      }
    }
  }

  void arm() {
    itimerspec its{};
    if (!pending_.empty()) {
      const std::int64_t due = std::max<std::int64_t>(pending_.front().due, 1);
      its.it_value.tv_sec = static_cast<time_t>(due / 1'000'000'000);
      its.it_value.tv_nsec = static_cast<long>(due % 1'000'000'000);
    }
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  void fire_due() {
    // The delay is the same for every request: the queue is in due order.
    while (!pending_.empty() && pending_.front().due <= mono_ns()) {
      const Pending p = pending_.front();
      pending_.pop_front();
      auto it = conns_.find(p.fd);
      if (it == conns_.end() || it->second.gen != p.gen) continue;
      respond(it->second, p, true);
    }
    arm();
  }

  // Writes the answer; false when the connection was closed.
  bool respond(Conn& c, const Pending& p, bool record) {
    // Server time ends here: just before the write of the answer.
    const std::int64_t server_ns = mono_ns() - p.received;
    if (record) {
      Record r{};
      std::memcpy(r.trace, p.trace, sizeof r.trace);
      r.server_ns = server_ns;
      records_.push_back(r);
    }
    c.out += answer(server_ns);
    return flush(c);
  }

  // Writes c.out; watches EPOLLOUT while bytes remain; false when the connection was closed.
  bool flush(Conn& c) {
    while (!c.out.empty()) {
      const ssize_t w = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (w > 0) {
        c.out.erase(0, static_cast<std::size_t>(w));
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
        ev.data.fd = c.fd;
        epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
        return true;
      }
      close_conn(c.fd);
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = c.fd;
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
    return true;
  }

  int finish() {
    double sum = 0;
    for (const Record& r : records_) sum += static_cast<double>(r.server_ns);
    if (!log_path_.empty()) {
      FILE* f = std::fopen(log_path_.c_str(), "w");
      if (f == nullptr) die(log_path_.c_str());
      for (const Record& r : records_) {
        std::fprintf(f, "%s %lld\n", r.trace, static_cast<long long>(r.server_ns));
      }
      std::fclose(f);
    }
    std::printf("requests %zu mean_server_ns %.0f\n", records_.size(),
                records_.empty() ? 0.0 : sum / static_cast<double>(records_.size()));
    std::fflush(stdout);
    return 0;
  }

  std::int64_t delay_ns_;
  std::string log_path_;
  FILE* otlp_;
  int listen_fd_ = -1, epfd_ = -1, timer_fd_ = -1, signal_fd_ = -1;
  bool stop_ = false;
  std::uint64_t next_gen_ = 0;
  std::unordered_map<int, Conn> conns_;
  std::deque<Pending> pending_;
  std::vector<Record> records_;
};

int rtt_probe(int port, int count, long pause_us) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
  // The reply's arrival is its kernel receive time stamp, as loadgen times a response's end
  // (net::Connection): the client's wake-up after it is in neither.
  const bool stamped = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
  // About the size of loadgen's GET with a traceparent field.
  const std::string req =
      "GET /__rtt HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nUser-Agent: latency-probe\r\nAccept: */*\r\n"
      "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n";
  std::vector<std::int64_t> rtts;
  rtts.reserve(static_cast<std::size_t>(count));
  std::string in;
  char buf[4096];
  for (int i = 0; i < count; ++i) {
    in.clear();
    // Wall minus monotonic, for the time stamps (both clocks read now, not during the trip).
    const std::int64_t offset = wall_ns() - mono_ns();
    std::int64_t arrived = 0;
    const std::int64_t t0 = mono_ns();
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      die("send");
    }
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos || in.size() < head_end + 4 + kBody.size()) {
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
      iovec iov{buf, sizeof buf};
      msghdr m{};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = control;
      m.msg_controllen = sizeof control;
      const ssize_t r = recvmsg(fd, &m, 0);
      if (r <= 0) die("read");
      for (cmsghdr* h = CMSG_FIRSTHDR(&m); h != nullptr; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts{};
          std::memcpy(&ts, CMSG_DATA(h), sizeof ts);
          arrived = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec - offset;
        }
      }
      in.append(buf, static_cast<std::size_t>(r));
      if (head_end == std::string::npos) head_end = in.find("\r\n\r\n");
    }
    const std::int64_t t1 = stamped && arrived >= t0 ? arrived : mono_ns();
    const std::string_view sn = field(std::string_view(in).substr(0, head_end + 2), "x-server-ns:");
    const std::int64_t server = std::strtoll(std::string(sn).c_str(), nullptr, 10);
    rtts.push_back(t1 - t0 - server);
    if (pause_us > 0) {
      timespec ts{pause_us / 1'000'000, (pause_us % 1'000'000) * 1000};
      nanosleep(&ts, nullptr);
    }
  }
  close(fd);
  std::sort(rtts.begin(), rtts.end());
  const auto at = [&](double q) {
    return rtts[std::min(rtts.size() - 1,
                         static_cast<std::size_t>(q * static_cast<double>(rtts.size())))];
  };
  std::printf("rtt_ns median %lld p10 %lld p90 %lld min %lld count %zu\n",
              static_cast<long long>(at(0.5)), static_cast<long long>(at(0.1)),
              static_cast<long long>(at(0.9)), static_cast<long long>(rtts.front()), rtts.size());
  return 0;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: latency_server --delay-us D [--port-file F] [--log F] [--otlp-file F]\n"
               "       latency_server --rtt-probe PORT [--count N] [--pause-us P]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  long delay_us = -1;
  int probe_port = 0;
  int count = 200;
  long pause_us = 1000;
  const char* port_file = nullptr;
  std::string log_path;
  const char* otlp_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "--delay-us") {
      delay_us = std::strtol(v, nullptr, 10);
    } else if (a == "--port-file") {
      port_file = v;
    } else if (a == "--otlp-file") {
      otlp_path = v;
    } else if (a == "--log") {
      log_path = v;
    } else if (a == "--rtt-probe") {
      probe_port = static_cast<int>(std::strtol(v, nullptr, 10));
    } else if (a == "--count") {
      count = static_cast<int>(std::strtol(v, nullptr, 10));
    } else if (a == "--pause-us") {
      pause_us = std::strtol(v, nullptr, 10);
    } else {
      usage();
    }
  }
  if (probe_port > 0) {
    if (count < 1) usage();
    return rtt_probe(probe_port, count, pause_us);
  }
  if (delay_us < 0) usage();
  FILE* otlp = nullptr;
  if (otlp_path != nullptr && (otlp = std::fopen(otlp_path, "wb")) == nullptr) die(otlp_path);
  Server server(static_cast<std::int64_t>(delay_us) * 1000, log_path, otlp);
  const int rc = server.listen_and_serve(port_file);
  if (otlp != nullptr) std::fclose(otlp);
  return rc;
}
