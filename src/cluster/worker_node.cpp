// worker_node.cpp: see worker_node.hpp. Locust 2.12's WorkerRunner (runners.py): client_ready
// with the version, wait CONNECT_TIMEOUT for the ack, resend up to CONNECT_RETRY_COUNT times
// (logging "Failed to connect to master ..., retry n/N." like Locust), then give up; a
// heartbeat every HEARTBEAT_INTERVAL with the worker state and this process's CPU and RSS.
#include "cluster/worker_node.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/uuid.hpp"

namespace loadgen::cluster {
namespace {

// CPU time of the whole process (every thread), user + system, in nanoseconds.
std::int64_t process_cpu_ns() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  auto ns = [](const timeval& tv) {
    return static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 +
           static_cast<std::int64_t>(tv.tv_usec) * 1'000;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

// Resident set size in bytes (/proc/self/statm's second field is in pages); 0 if unreadable.
std::int64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long size = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<std::int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

}  // namespace

struct WorkerNode::Impl {
  explicit Impl(Settings settings) : s(std::move(settings)), warn(s.log) {}

  Settings s;
  std::atomic<bool> acked{false};
  std::atomic<bool> gave_up{false};
  std::atomic<std::int64_t> index{-1};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<bool> loadgen_master{false};  // the ack named a loadgen master
  std::mutex state_mu;
  std::string state = "ready";  // Locust's STATE_INIT
  core::RateLimitedWarning warn;
  // I/O thread only (the timers), after start() handed them over.
  int attempts = 1;  // client_ready messages sent by the handshake
  std::int64_t last_cpu_ns = 0, last_wall_ns = 0;
  // Last member: destroyed (its I/O thread joined) before the state its timers touch.
  std::unique_ptr<Transport> transport;

  void log(core::LogLevel level, std::string_view message) const {
    if (s.log) s.log->log(level, message);
  }

  std::string master() const { return fmt::format("{}:{}", s.master_host, s.master_port); }

  void send(Message m) {
    m.node_id = s.node_id;
    if (m.type_name.empty()) m.type_name = std::string(to_string(m.type));
    transport->send(Frame{{}, encode(m)});
  }

  void send_client_ready() {
    send(Message{MessageType::kClientReady, "client_ready", s.version, {}});
  }

  // I/O thread, every connect_timeout until the ack: Locust's connect_to_master() retry.
  void handshake_tick() {
    if (acked.load() || gave_up.load()) return;
    const std::string line = fmt::format("Failed to connect to master {}, retry {}/{}.", master(),
                                         attempts, s.connect_retries);
    log(attempts < 3 ? core::LogLevel::kDebug : core::LogLevel::kWarning, line);
    if (attempts > s.connect_retries) {
      gave_up.store(true);  // the driver says so (and exits): no second line here
      return;
    }
    ++attempts;
    send_client_ready();
  }

  // I/O thread, every heartbeat_interval. This is what keeps the master from declaring the
  // worker missing (3 missed beats, Locust's HEARTBEAT_LIVENESS), so it must not depend on
  // the engine: it runs on the transport's own thread, which shares no queue, lock or event
  // loop with the load (set_state() holds state_mu for a string copy), so a saturated engine
  // cannot delay it — only the OS scheduler could, and a thread that slept gets the CPU back
  // promptly (see the starvation test in transport_test.cpp).
  void heartbeat_tick() {
    const std::int64_t cpu = process_cpu_ns();
    const std::int64_t wall = core::mono_ns();
    double cpu_percent = 0;
    if (wall > last_wall_ns) {
      // Of the machine's cores, so that 90 % (Locust's warning threshold) means a saturated
      // worker whatever its --threads: Locust's worker is one thread on one core.
      const double cores = std::max(1u, std::thread::hardware_concurrency());
      cpu_percent = 100.0 * static_cast<double>(cpu - last_cpu_ns) /
                    static_cast<double>(wall - last_wall_ns) / cores;
    }
    last_cpu_ns = cpu;
    last_wall_ns = wall;
    if (!acked.load()) return;
    HeartbeatData hb;
    {
      std::lock_guard lock(state_mu);
      hb.state = state;
    }
    hb.current_cpu_usage = cpu_percent;
    hb.current_memory_usage = resident_bytes();
    hb.loadgen = loadgen_master.load();
    send(Message{MessageType::kHeartbeat, "heartbeat", std::move(hb), {}});
  }
};

core::Result<std::unique_ptr<WorkerNode>> WorkerNode::start(Settings s) {
  if (s.version.empty()) {
    return core::make_error("bad_value",
                            "worker: the version sent in client_ready is empty; a Locust 2.12 "
                            "master rejects an empty one as a pre-2.0 worker",
                            "set a non-empty version (Locust's own, e.g. \"2.12.1\")");
  }
  if (s.heartbeat_interval.count() <= 0 || s.connect_timeout.count() <= 0 ||
      s.connect_retries < 0) {
    return core::make_error(
        "bad_value",
        fmt::format("worker: heartbeat interval ({} ms) and connect timeout "
                    "({} ms) must be positive, connect retries ({}) >= 0",
                    s.heartbeat_interval.count(), s.connect_timeout.count(), s.connect_retries));
  }
  if (s.node_id.empty()) s.node_id = make_node_id();
  auto t = Transport::connect(s.master_host, s.master_port, s.node_id);
  if (!t) return t.error();
  auto impl = std::make_unique<Impl>(std::move(s));
  impl->transport = std::move(t).value();
  impl->last_cpu_ns = process_cpu_ns();
  impl->last_wall_ns = core::mono_ns();
  Impl* raw = impl.get();
  // Both timers run on the transport's I/O thread; they are registered before the first
  // client_ready, so the ack cannot come before the heartbeat timer exists.
  impl->transport->every(impl->s.heartbeat_interval, [raw] { raw->heartbeat_tick(); });
  impl->transport->every(impl->s.connect_timeout, [raw] { raw->handshake_tick(); });
  impl->send_client_ready();
  return std::unique_ptr<WorkerNode>(new WorkerNode(std::move(impl)));
}

WorkerNode::WorkerNode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WorkerNode::~WorkerNode() { close(std::chrono::milliseconds(0)); }

std::vector<Message> WorkerNode::take(std::chrono::milliseconds wait) {
  std::vector<Message> out;
  for (Frame& f : impl_->transport->receive(wait)) {
    auto decoded = decode(f.payload);
    if (!decoded) {
      impl_->protocol_errors.fetch_add(1);
      impl_->warn.warn("cluster:worker:decode",
                       fmt::format("Dropped a message from master {} that does not decode: {}",
                                   impl_->master(), decoded.error().message),
                       core::mono_ns());
      continue;
    }
    Message& m = decoded.value();
    switch (m.type) {
      case MessageType::kAck:
        // Masters before Locust 2.10.2 send no index: acked, index stays -1.
        if (const auto* a = std::get_if<AckData>(&m.data)) {
          impl_->index.store(a->index);
          impl_->loadgen_master.store(a->loadgen.has_value());
        }
        if (!impl_->acked.exchange(true)) {
          impl_->log(core::LogLevel::kDebug,
                     fmt::format("Connected to master {} as {} (index {})", impl_->master(),
                                 impl_->s.node_id, impl_->index.load()));
        }
        break;
      case MessageType::kReconnect:
        impl_->log(core::LogLevel::kWarning,
                   "Received reconnect message from master. Resetting RPC connection.");
        // As Locust's worker: a new socket with the same identity, and nothing else (the master
        // still knows this worker; a client_ready would register it again mid-run).
        impl_->transport->reconnect();
        break;
      case MessageType::kClientReady:
      case MessageType::kSpawn:
      case MessageType::kSpawning:
      case MessageType::kSpawningComplete:
      case MessageType::kHeartbeat:
      case MessageType::kStats:
      case MessageType::kException:
      case MessageType::kClientStopped:
      case MessageType::kStop:
      case MessageType::kQuit:
      case MessageType::kUnknown:
        break;  // the driver's
    }
    out.push_back(std::move(m));
  }
  return out;
}

void WorkerNode::send(Message m) { impl_->send(std::move(m)); }

void WorkerNode::set_state(std::string_view state) {
  std::lock_guard lock(impl_->state_mu);
  impl_->state.assign(state);
}

bool WorkerNode::acked() const { return impl_->acked.load(); }
std::int64_t WorkerNode::index() const { return impl_->index.load(); }
bool WorkerNode::gave_up() const { return impl_->gave_up.load(); }
const std::string& WorkerNode::node_id() const { return impl_->s.node_id; }
std::uint64_t WorkerNode::protocol_errors() const { return impl_->protocol_errors.load(); }
TransportCounters WorkerNode::counters() const { return impl_->transport->counters(); }

void WorkerNode::close(std::chrono::milliseconds linger) { impl_->transport->close(linger); }

std::string make_node_id() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  const std::uint64_t seed =
      (static_cast<std::uint64_t>(rd()) << 32 | rd()) ^ static_cast<std::uint64_t>(core::wall_ns());
  core::Rng rng(seed);
  std::string hex;
  for (char c : core::uuid4(rng)) {
    if (c != '-') hex.push_back(c);  // Python's uuid4().hex: 32 lowercase digits, no dashes
  }
  return std::string(host) + "_" + hex;
}

}  // namespace loadgen::cluster
