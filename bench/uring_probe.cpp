// uring_probe: a minimal HTTP/1.1 keep-alive GET loop over N connections on one thread, in
// several I/O modes, to decide with numbers whether net:: should get an io_uring backend.
// Used by bench/uring-vs-epoll; standalone (no loadgen library), Linux only.
//
//   uring_probe --mode MODE --port P [--host 127.0.0.1] [--path /index.html]
//               [--connections 50] [--duration 5] [--batch N] [--batch-us U]
//
// Modes (each keeps exactly one request in flight per connection, like wrk and loadgen):
//   epoll          edge-triggered epoll, send() then a speculative recv() right after it (what
//                  Asio's reactor does for async_write_some + async_read_some), then epoll_wait
//   epoll-nospec   the same without the speculative recv(): recv() only after readiness
//   uring          io_uring, one io_uring_enter per loop turn submitting every connection's next
//                  send, multishot recv into a provided-buffer ring, registered files, send CQEs
//                  skipped on success, IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN
//   uring-coop     as uring with IORING_SETUP_COOP_TASKRUN|TASKRUN_FLAG instead of DEFER_TASKRUN
//   uring-plain    as uring with no setup flags
//   uring-oneshot  as uring, but a one-shot recv (IORING_RECVSEND_POLL_FIRST, per-connection
//                  buffer) submitted with each send instead of a multishot recv
//   uring-nofixed  as uring without registered files
//   epoll-batch    as epoll, but after a turn with fewer than --batch events it sleeps
//                  --batch-us first (epoll_wait cannot wait for N events)
//   uring-batch    as uring, but each io_uring_enter waits for --batch completions (default
//                  connections / 8) or --batch-us microseconds (default 50), whichever is first
//   uring-epoll    as uring (but COOP_TASKRUN), driven the way an Asio-hosted ring would be: the
//                  thread blocks in epoll_wait on an eventfd registered with the ring (as Asio's
//                  reactor would, the eventfd being a posix::stream_descriptor), then
//                  io_uring_enter submits the queued sends and reaps the completions
// Prints one JSON line: requests, errors, wall/user/sys seconds (getrusage), the mean latency
// from send to the response's last byte, and the syscalls made in the loop, by kind (counted
// at the call sites).
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "probe_http.hpp"

namespace {

using Clock = std::chrono::steady_clock;

enum class Mode {
  kEpoll,
  kEpollNospec,
  kUring,
  kUringCoop,
  kUringPlain,
  kUringOneshot,
  kUringNofixed,
  kUringEpoll,
  kUringBatch,
  kEpollBatch
};

struct ModeName {
  Mode mode;
  const char* name;
};
constexpr ModeName kModes[] = {
    {Mode::kEpoll, "epoll"},
    {Mode::kEpollNospec, "epoll-nospec"},
    {Mode::kUring, "uring"},
    {Mode::kUringCoop, "uring-coop"},
    {Mode::kUringPlain, "uring-plain"},
    {Mode::kUringOneshot, "uring-oneshot"},
    {Mode::kUringNofixed, "uring-nofixed"},
    {Mode::kUringEpoll, "uring-epoll"},
    {Mode::kUringBatch, "uring-batch"},
    {Mode::kEpollBatch, "epoll-batch"},
};

struct Options {
  Mode mode = Mode::kEpoll;
  const char* mode_name = "epoll";
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/index.html";
  int connections = 50;
  double duration_s = 5;
  int batch = 0;      // *-batch: events to wait for; 0 = connections / 8
  int batch_us = 50;  // *-batch: the longest wait (nap) for them, microseconds
};

[[noreturn]] void die(const char* what, int err) {
  std::fprintf(stderr, "uring_probe: %s: %s\n", what, std::strerror(err));
  std::exit(2);
}

// Syscalls made in the loop, counted where they are made.
struct Counters {
  std::uint64_t send = 0, recv = 0, recv_eagain = 0, epoll_wait = 0, enter = 0, nanosleep = 0;
  std::uint64_t requests = 0, errors = 0;
  std::uint64_t latency_ns = 0;  // sum over requests: send to the response's last byte seen
};

constexpr std::size_t kBufSize = 4096;

// One connection: its fd and the bytes of the response being read. Just enough HTTP/1.1 to
// count complete responses: the head up to CRLFCRLF, then Content-Length bytes of body.
struct Conn {
  int fd = -1;
  Clock::time_point sent{};  // when the request in flight was sent (or queued to the ring)
  std::size_t have = 0;
  std::size_t need = 0;  // head + body length once the head is complete; 0 before
  char buf[kBufSize];
};

using loadgen::bench::content_length;

// Adds `len` received bytes (already in c.buf at c.have) and returns true when a whole response
// is in. One request is in flight per connection, so nothing follows a response.
bool on_bytes(Conn& c, std::size_t len, Counters& n) {
  c.have += len;
  if (c.need == 0) {
    std::string_view v(c.buf, c.have);
    std::size_t end = v.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (c.have == kBufSize) die("response head too large", EMSGSIZE);
      return false;
    }
    c.need = end + 4 + content_length(v.substr(0, end + 2));
    if (v.substr(0, 12) != "HTTP/1.1 200") ++n.errors;
  }
  if (c.have < c.need) {
    if (c.have == kBufSize) c.have = 0, c.need -= kBufSize;  // a large body: drop what we read
    return false;
  }
  c.have = 0;
  c.need = 0;
  ++n.requests;
  n.latency_ns += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - c.sent).count());
  return true;
}

std::vector<Conn> connect_all(const Options& o) {
  std::vector<Conn> conns(static_cast<std::size_t>(o.connections));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &sa.sin_addr) != 1) die("bad --host", EINVAL);
  for (auto& c : conns) {
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) die("socket", errno);
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
      die("connect", errno);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as loadgen (Asio no_delay)
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
  }
  return conns;
}

// ---- epoll ----------------------------------------------------------------------------------

void send_request(Conn& c, std::string_view req, Counters& n) {
  ++n.send;
  c.sent = Clock::now();
  ssize_t r = send(c.fd, req.data(), req.size(), MSG_NOSIGNAL);
  if (r != static_cast<ssize_t>(req.size())) die("send (short or failed)", r < 0 ? errno : EAGAIN);
}

// Reads until the socket would block or a response completes; on completion sends the next
// request and, with `speculative`, tries one more recv at once as Asio does.
void on_readable(Conn& c, std::string_view req, bool running, bool speculative, Counters& n) {
  for (;;) {
    std::size_t space = kBufSize - c.have;
    ++n.recv;
    ssize_t r = recv(c.fd, c.buf + c.have, space, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ++n.recv_eagain;
        return;
      }
      die("recv", errno);
    }
    if (r == 0) die("server closed a connection", ECONNRESET);
    bool drained = static_cast<std::size_t>(r) < space;
    if (on_bytes(c, static_cast<std::size_t>(r), n)) {
      if (!running) return;
      send_request(c, req, n);
      if (!speculative) return;  // edge-triggered: the response's arrival is a new edge
    } else if (drained && !speculative) {
      return;
    }
  }
}

void run_epoll(const Options& o, std::vector<Conn>& conns, std::string_view req, Counters& n) {
  bool spec = o.mode != Mode::kEpollNospec;
  // epoll-batch: epoll_wait cannot wait for N events, so after a turn with fewer than `batch`
  // events sleep batch_us first (the same bound on added latency as uring-batch).
  int batch = o.mode != Mode::kEpollBatch ? 0
              : o.batch > 0               ? o.batch
                                          : std::max(1, o.connections / 8);
  timespec nap{0, o.batch_us * 1000L};
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1", errno);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    // Asio registers a socket once for in/out/err, edge-triggered.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLPRI | EPOLLET;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0) die("epoll_ctl", errno);
  }
  auto deadline = Clock::now() + std::chrono::duration<double>(o.duration_s);
  for (auto& c : conns) {
    send_request(c, req, n);
    if (spec) on_readable(c, req, true, true, n);
  }
  epoll_event evs[128];
  for (bool running = true; running;) {
    ++n.epoll_wait;
    int k = epoll_wait(ep, evs, 128, 100);
    if (k < 0 && errno != EINTR) die("epoll_wait", errno);
    running = Clock::now() < deadline;
    for (int i = 0; i < k; ++i) {
      if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        on_readable(conns[evs[i].data.u64], req, running, spec, n);
    }
    if (k < batch) {
      ++n.nanosleep;
      nanosleep(&nap, nullptr);
    }
  }
  close(ep);
}

// ---- io_uring -------------------------------------------------------------------------------

constexpr std::uint64_t kOpRecv = 1, kOpSend = 2;
constexpr unsigned kBufGroup = 0;
constexpr unsigned kRingBufs = 256;  // power of two

std::uint64_t tag(std::uint64_t op, std::size_t conn) { return op << 32 | conn; }

struct Uring {
  io_uring ring{};
  io_uring_buf_ring* br = nullptr;
  char* bufs = nullptr;
  bool fixed = true;
  unsigned recycled = 0;  // buffers handed back since the last advance

  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (s == nullptr) {  // full: flush what is queued
      io_uring_submit(&ring);
      s = io_uring_get_sqe(&ring);
      if (s == nullptr) die("io_uring_get_sqe", EBUSY);
    }
    return s;
  }
  void target(io_uring_sqe* s, const std::vector<Conn>& conns, std::size_t i) {
    if (fixed) {
      s->fd = static_cast<int>(i);
      s->flags |= IOSQE_FIXED_FILE;
    } else {
      s->fd = conns[i].fd;
    }
  }
  void send(std::vector<Conn>& conns, std::size_t i, std::string_view req) {
    conns[i].sent = Clock::now();  // submitted at the next io_uring_enter, within this turn
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, 0, req.data(), req.size(), MSG_NOSIGNAL);
    target(s, conns, i);
    s->flags |= IOSQE_CQE_SKIP_SUCCESS;  // a CQE only when the send fails
    io_uring_sqe_set_data64(s, tag(kOpSend, i));
  }
  void recv_multishot(const std::vector<Conn>& conns, std::size_t i) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, 0, nullptr, 0, 0);
    target(s, conns, i);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kBufGroup;
    io_uring_sqe_set_data64(s, tag(kOpRecv, i));
  }
  void recv_oneshot(std::vector<Conn>& conns, std::size_t i) {
    Conn& c = conns[i];
    io_uring_sqe* s = sqe();
    io_uring_prep_recv(s, 0, c.buf + c.have, kBufSize - c.have, 0);
    target(s, conns, i);
    s->ioprio |= IORING_RECVSEND_POLL_FIRST;  // the answer is not there yet: arm poll at once
    io_uring_sqe_set_data64(s, tag(kOpRecv, i));
  }
  void give_back(unsigned bid) {
    io_uring_buf_ring_add(br, bufs + bid * kBufSize, kBufSize, static_cast<unsigned short>(bid),
                          io_uring_buf_ring_mask(kRingBufs), static_cast<int>(recycled));
    ++recycled;
  }
};

void setup_uring(const Options& o, std::vector<Conn>& conns, Uring& u) {
  io_uring_params p{};
  switch (o.mode) {
    case Mode::kUring:
    case Mode::kUringOneshot:
    case Mode::kUringNofixed:
    case Mode::kUringBatch:
      p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
      break;
    case Mode::kUringCoop:
    case Mode::kUringEpoll:
      p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
      break;
    case Mode::kUringPlain:
    case Mode::kEpoll:
    case Mode::kEpollNospec:
    case Mode::kEpollBatch:
      break;
  }
  p.flags |= IORING_SETUP_SUBMIT_ALL;
  unsigned entries = 256;
  while (entries < 4 * conns.size()) entries *= 2;
  // Returns -errno: EPERM (io_uring_disabled=2 or a seccomp filter), ENOSYS (no io_uring),
  // ENOMEM (locked-memory limit): the cases in which net:: would fall back to epoll.
  int r = io_uring_queue_init_params(entries, &u.ring, &p);
  if (r < 0) die("io_uring_queue_init_params", -r);
  u.fixed = o.mode != Mode::kUringNofixed;
  if (u.fixed) {
    std::vector<int> fds;
    for (auto& c : conns) fds.push_back(c.fd);
    r = io_uring_register_files(&u.ring, fds.data(), static_cast<unsigned>(fds.size()));
    if (r < 0) die("io_uring_register_files", -r);
  }
  if (o.mode == Mode::kUringOneshot) return;
  // The provided-buffer ring (liburing 2.3 has no io_uring_setup_buf_ring: map and register it).
  std::size_t ring_bytes = kRingBufs * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) die("mmap", errno);
  u.br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(u.br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
  reg.ring_entries = kRingBufs;
  reg.bgid = kBufGroup;
  r = io_uring_register_buf_ring(&u.ring, &reg, 0);
  if (r < 0) die("io_uring_register_buf_ring", -r);
  u.bufs = static_cast<char*>(std::aligned_alloc(64, kRingBufs * kBufSize));
  for (unsigned b = 0; b < kRingBufs; ++b) u.give_back(b);
  io_uring_buf_ring_advance(u.br, static_cast<int>(u.recycled));
  u.recycled = 0;
}

void run_uring(const Options& o, std::vector<Conn>& conns, std::string_view req, Counters& n) {
  Uring u;
  setup_uring(o, conns, u);
  bool multishot = o.mode != Mode::kUringOneshot;
  auto deadline = Clock::now() + std::chrono::duration<double>(o.duration_s);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    if (multishot) u.recv_multishot(conns, i);
    u.send(conns, i, req);
    if (!multishot) u.recv_oneshot(conns, i);
  }
  __kernel_timespec ts{};
  ts.tv_nsec = 100'000'000;
  unsigned wait_nr = 1;
  if (o.mode == Mode::kUringBatch) {
    // DEFER_TASKRUN wakes the waiter only once wait_nr completions are pending: fewer sleeps
    // and wake-ups per request, at the cost of up to batch_us of added latency.
    wait_nr = static_cast<unsigned>(o.batch > 0 ? o.batch : std::max(1, o.connections / 8));
    ts.tv_nsec = o.batch_us * 1000LL;
  }
  // uring-epoll: an eventfd registered with the ring (signalled when completions are posted) is
  // watched by epoll, as Asio's reactor would watch it. The ring is COOP_TASKRUN: with
  // DEFER_TASKRUN neither the ring fd nor the eventfd woke epoll for deferred completion work
  // (measured on 6.18: the loop slept to its timeout).
  int ep = -1;
  if (o.mode == Mode::kUringEpoll) {
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0 || io_uring_register_eventfd(&u.ring, efd) != 0) die("eventfd", errno);
    ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;  // every signal is a new edge: no read() of the counter
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) die("epoll", errno);
  }
  for (bool running = true; running;) {
    io_uring_cqe* cqe = nullptr;
    ++n.enter;
    if (ep >= 0) {
      // Submit the queued sends and run the deferred completions without waiting; block in
      // epoll_wait only when nothing completed.
      int r = io_uring_submit_and_get_events(&u.ring);
      if (r < 0 && r != -EINTR) die("io_uring_submit_and_get_events", -r);
      if (io_uring_cq_ready(&u.ring) == 0) {
        ++n.epoll_wait;
        epoll_event ev{};
        if (epoll_wait(ep, &ev, 1, 100) < 0 && errno != EINTR) die("epoll_wait", errno);
        running = Clock::now() < deadline;
        continue;
      }
    } else {
      // One io_uring_enter: submit everything queued, wait for one completion.
      int r = io_uring_submit_and_wait_timeout(&u.ring, &cqe, wait_nr, &ts, nullptr);
      if (r < 0 && r != -ETIME && r != -EINTR) die("io_uring_submit_and_wait_timeout", -r);
    }
    running = Clock::now() < deadline;
    unsigned head = 0, seen = 0;
    io_uring_for_each_cqe(&u.ring, head, cqe) {
      ++seen;
      std::size_t i = cqe->user_data & 0xffffffffu;
      std::uint64_t op = cqe->user_data >> 32;
      int res = cqe->res;
      if (op == kOpSend) die("send", res < 0 ? -res : EIO);  // only failures have a CQE
      Conn& c = conns[i];
      if (res == -ENOBUFS) {  // out of provided buffers: re-arm once they are back
        if (!(cqe->flags & IORING_CQE_F_MORE)) u.recv_multishot(conns, i);
        continue;
      }
      if (res < 0) die("recv", -res);
      if (res == 0) die("server closed a connection", ECONNRESET);
      auto len = static_cast<std::size_t>(res);
      if (multishot) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        std::size_t take = std::min(len, kBufSize - c.have);
        std::memcpy(c.buf + c.have, u.bufs + bid * kBufSize, take);
        u.give_back(bid);
        len = take;
      }
      bool done = on_bytes(c, len, n);
      if (multishot && !(cqe->flags & IORING_CQE_F_MORE)) u.recv_multishot(conns, i);
      if (done && running) u.send(conns, i, req);
      if (!multishot && (done ? running : true)) u.recv_oneshot(conns, i);
    }
    io_uring_cq_advance(&u.ring, seen);
    if (u.recycled != 0) {
      io_uring_buf_ring_advance(u.br, static_cast<int>(u.recycled));
      u.recycled = 0;
    }
  }
  if (ep >= 0) close(ep);
  io_uring_queue_exit(&u.ring);
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

void usage() {
  std::fprintf(stderr,
               "usage: uring_probe --mode MODE --port P [--host H] [--path P] [--connections N]"
               " [--duration S] [--batch N] [--batch-us U]\nmodes:");
  for (const auto& m : kModes) std::fprintf(stderr, " %s", m.name);
  std::fprintf(stderr, "\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "--mode") {
      bool found = false;
      for (const auto& m : kModes) {
        if (v == std::string_view(m.name)) o.mode = m.mode, o.mode_name = m.name, found = true;
      }
      if (!found) usage();
    } else if (a == "--host") {
      o.host = v;
    } else if (a == "--port") {
      o.port = std::atoi(v);
    } else if (a == "--path") {
      o.path = v;
    } else if (a == "--connections") {
      o.connections = std::atoi(v);
    } else if (a == "--duration") {
      o.duration_s = std::atof(v);
    } else if (a == "--batch") {
      o.batch = std::atoi(v);
    } else if (a == "--batch-us") {
      o.batch_us = std::atoi(v);
    } else {
      usage();
    }
  }
  if (o.port <= 0 || o.connections <= 0 || o.duration_s <= 0) usage();
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  // Naps and ring timeouts as asked: the default 50 us timer slack would stretch a 20 us nap
  // to ~70 us (and the latency a response waits unread with it).
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  // The same request wrk sends.
  std::string req =
      "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) + "\r\n\r\n";
  std::vector<Conn> conns = connect_all(o);
  Counters n;
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto start = Clock::now();
  if (o.mode == Mode::kEpoll || o.mode == Mode::kEpollNospec || o.mode == Mode::kEpollBatch)
    run_epoll(o, conns, req, n);
  else
    run_uring(o, conns, req, n);
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  getrusage(RUSAGE_SELF, &after);
  for (auto& c : conns) close(c.fd);
  double user = seconds(after.ru_utime) - seconds(before.ru_utime);
  double sys = seconds(after.ru_stime) - seconds(before.ru_stime);
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"requests\":%llu,\"errors\":%llu,\"wall_s\":%.3f,"
      "\"user_s\":%.3f,\"sys_s\":%.3f,\"req_per_cpu_s\":%.0f,\"latency_us\":%.1f,\"syscalls\":{"
      "\"send\":%llu,"
      "\"recv\":%llu,\"recv_eagain\":%llu,\"epoll_wait\":%llu,\"io_uring_enter\":%llu,"
      "\"nanosleep\":%llu}}\n",
      o.mode_name, o.connections, static_cast<unsigned long long>(n.requests),
      static_cast<unsigned long long>(n.errors), wall, user, sys,
      user + sys > 0 ? static_cast<double>(n.requests) / (user + sys) : 0.0,
      n.requests ? static_cast<double>(n.latency_ns) / 1e3 / static_cast<double>(n.requests) : 0.0,
      static_cast<unsigned long long>(n.send), static_cast<unsigned long long>(n.recv),
      static_cast<unsigned long long>(n.recv_eagain), static_cast<unsigned long long>(n.epoll_wait),
      static_cast<unsigned long long>(n.enter), static_cast<unsigned long long>(n.nanosleep));
  return n.requests > 0 ? 0 : 1;
}
