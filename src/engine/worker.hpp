// Worker: one thread with its own event loop, users, connections and stats shard
// (shared-nothing). Other threads talk to it only by posting commands; results come back
// through futures. Implements the client's RequestObserver: the hot path ends in Shard::record.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "client/config.hpp"
#include "client/request_observer.hpp"
#include "core/log_sink.hpp"
#include "engine/exception_counts.hpp"
#include "engine/request_metrics.hpp"
#include "flags/ofrep_flag_source.hpp"
#include "net/event_loop.hpp"
#include "otel/client_span.hpp"
#include "otel/span_sink.hpp"
#include "plan/arrival_schedule.hpp"
#include "scenario/user.hpp"
#include "stats/shard.hpp"

namespace loadgen::engine {

// A user's random seed from the run's seed and the user's id (every user its own stream).
inline std::uint64_t user_seed(std::uint64_t run_seed, std::uint64_t id) {
  std::uint64_t z = run_seed + id * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The open model's share of one worker (Engine::start_arrivals): iterations first, first +
// stride, ... of the schedule, served by the worker's own users, at most `quota` of them (its
// fixed share of --max-users: an arrival is dropped only when the worker's share is busy).
struct ArrivalOrder {
  std::shared_ptr<const plan::ArrivalSchedule> schedule;
  std::uint64_t first = 0;         // this worker's first iteration (its index)
  std::uint64_t stride = 1;        // the number of workers with arrivals
  std::int64_t start_mono_ns = 0;  // the schedule's time 0 (core::mono_ns)
  std::int64_t quota = 1;          // the most users this worker creates (its share of the pool)
  // Users created so far across workers (touched when a user is created or ends, never per
  // iteration), and the ids of new users.
  std::atomic<std::int64_t>* pool = nullptr;
  std::atomic<std::uint64_t>* next_id = nullptr;
  std::uint64_t run_seed = 0;
  const std::vector<scenario::UserClass>* classes = nullptr;  // picked by weight
  std::vector<const client::ClientConfig*> class_clients;     // per class; null: the run's
};

struct SpawnOrder {
  const scenario::UserClass* cls;
  std::uint64_t id;
  std::uint64_t seed;
  std::int64_t start_delay_ns = 0;               // spreads a batch over its step at the spawn rate
  const client::ClientConfig* client = nullptr;  // the class's own host; null: the run's
};

struct WorkerReport {
  stats::Snapshot stats;
  ExceptionCounts exceptions;
};

struct WorkerConfig {
  const client::ClientConfig* client = nullptr;
  net::TlsOptions tls;
  std::size_t max_names = 1000;
  const flags::OfrepConfig* flags = nullptr;  // null: every flag has its default
  core::LogSink* log = nullptr;
  core::RateLimitedWarning* flag_warnings = nullptr;  // shared by every worker's flag source
  // Shared: "Requests are failing: connect_refused: ..." for a dead or broken target.
  core::RateLimitedWarning* failure_warnings = nullptr;
  const scenario::TraceSettings* trace = nullptr;  // null: no trace headers
  std::size_t span_capacity = 0;  // finished spans buffered between drains; 0: no spans
  const scenario::LogSettings* logs = nullptr;
  std::size_t log_capacity = 0;                   // log records buffered between drains; 0: none
  const RequestMetricsConfig* metrics = nullptr;  // null: no http.client.request.duration
  std::chrono::nanoseconds loop_nap{0};           // net::EventLoop::set_nap; zero: none
};

// What a worker hands the exporter thread: its finished spans since the last take.
struct WorkerSpans {
  std::vector<otel::SpanData> spans;          // task spans (SpanScope) and others
  std::unique_ptr<otel::ClientSpans> client;  // CLIENT spans, compact (may be empty)
  std::uint64_t dropped = 0;
};

class Worker final : public client::RequestObserver,
                     public scenario::UserEvents,
                     public otel::SpanSink,
                     public otel::LogRecordSink {
 public:
  Worker(int index, WorkerConfig cfg);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // All thread-safe (they post to the worker's loop).
  void spawn(std::vector<SpawnOrder> orders);
  void stop_users(std::vector<std::uint64_t> ids, bool graceful);
  void stop_all(bool graceful);
  std::future<WorkerReport> report();
  // Evaluates integer flag `key` about once a second and stores it in *out (0 when unset or on
  // error) until stop_watches(). Needs a flag source.
  void watch_flag(std::string key, std::atomic<std::int64_t>* out);
  void stop_watches();
  // Thread-safe: the spans finished since the last call, and how many were dropped. `spare`
  // (emptied, may be null) becomes the buffer of the CLIENT spans recorded from now on.
  std::future<WorkerSpans> take_spans(std::unique_ptr<otel::ClientSpans> spare = nullptr);
  // Thread-safe: from now on `ready` is called (on this worker's thread) when the span buffer
  // reaches `batch` spans (at most half its capacity), once until the next take_spans.
  void set_batch_ready(std::size_t batch, std::shared_ptr<const std::function<void()>> ready);
  // Thread-safe: the request metrics recorded since the last call (null without metrics).
  std::future<std::shared_ptr<RequestMetrics::Delta>> take_metrics(std::uint64_t now_unix_nano);
  // Thread-safe: the users' log records since the last call, and how many were dropped.
  std::future<std::pair<std::vector<otel::LogRecord>, std::uint64_t>> take_logs();
  bool watching() const { return watchers_.load(std::memory_order_relaxed) > 0; }
  // Thread-safe: starts this worker's share of the open model's schedule (stop_all ends it).
  void start_arrivals(ArrivalOrder order);
  // Thread-safe: true from start_arrivals until the worker's share ended (the schedule's end or
  // a stop); arrivals that found no free user and no room for a new one, since start_arrivals.
  bool arrivals_running() const { return arrivals_running_.load(std::memory_order_acquire); }
  std::uint64_t iterations_dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Stops the loop and joins the thread. Users still alive are abandoned (process exit).
  void shutdown();

  std::int64_t alive() const { return alive_.load(std::memory_order_acquire); }
  // Users started and users whose run ended (stopped, killed or StopUser), since the start.
  std::uint64_t users_started() const { return started_.load(std::memory_order_relaxed); }
  std::uint64_t users_stopped() const { return stopped_.load(std::memory_order_relaxed); }
  // Thread-safe: CPU time the worker's thread has used, or -1 before start()/after shutdown().
  std::int64_t cpu_time_ns() const;
  // Thread-safe: the worker's connection counters (opened, reused, pooled, ...).
  net::ConnectionStats connection_stats() const { return loop_.connection_stats(); }
  int index() const { return index_; }

  // client::RequestObserver — worker thread.
  void on_request(const client::RequestRecord& r) override;
  void on_attempt(const client::AttemptRecord& a) override;
  // otel::SpanSink — worker thread.
  void record(otel::SpanData&& span) override;
  // otel::LogRecordSink — worker thread.
  void record(otel::LogRecord&& log) override;
  // scenario::UserEvents — worker thread.
  void on_task_exception(const scenario::UserClass& cls, std::string_view task,
                         std::string_view what) override;

 private:
  void start_user(const SpawnOrder& o);
  void note_transport_failure(const client::RequestRecord& r);
  // Hands tallied failures older than a second (all of them when `all`) to the shared limiter.
  void push_failure_tallies(bool all);
  void on_loop_tick(std::int64_t delay_ns);
  core::Task<> watch_loop(std::string key, std::atomic<std::int64_t>* out);
  void stop_user(std::uint64_t id, bool graceful);
  // The open model (worker thread).
  struct PoolSlot {
    scenario::User* user = nullptr;
    std::int64_t intended_ns = 0;  // the iteration's intended start (core::mono_ns)
    bool has_work = false;
    bool in_free = false;
    std::uint64_t pos = 0;  // a sequential class's runs
  };
  core::Task<> arrival_loop(ArrivalOrder order);
  void dispatch(std::int64_t intended_ns);
  core::Task<> run_pooled(scenario::User& u, std::int64_t intended_ns);
  void stop_arrivals();

  // The flag source's requests to flagd: CLIENT spans like the users' requests, but not in the
  // load stats (the demo's Locust did not count them either).
  struct FlagRequests final : client::RequestObserver {
    explicit FlagRequests(Worker& w) : worker(w) {}
    void on_request(const client::RequestRecord&) override {}
    void on_attempt(const client::AttemptRecord& a) override { worker.on_attempt(a); }
    Worker& worker;
  };

  int index_;
  WorkerConfig cfg_;
  FlagRequests flag_requests_{*this};
  net::EventLoop loop_;
  std::thread thread_;
  stats::Shard shard_;
  ExceptionCounts exceptions_;
  std::unordered_map<std::uint64_t, std::unique_ptr<scenario::User>> users_;
  std::atomic<std::int64_t> alive_{0};
  std::atomic<std::uint64_t> started_{0}, stopped_{0};
  std::atomic<std::int64_t> cpu_clock_{0};  // the thread's clockid_t
  std::atomic<bool> has_cpu_clock_{false};
  std::unique_ptr<flags::OfrepFlagSource> flags_;
  // Finished spans (worker thread): task spans, and the CLIENT spans in their compact form.
  std::vector<otel::SpanData> spans_;
  std::unique_ptr<otel::ClientSpans> client_spans_;
  std::shared_ptr<const otel::ClientSpanSettings> client_settings_;
  std::uint64_t spans_dropped_ = 0;
  std::shared_ptr<const std::function<void()>> batch_ready_;
  std::size_t batch_ready_at_ = 0;  // spans buffered that call batch_ready_
  bool batch_signalled_ = false;    // since the last take_spans
  void note_span_buffered();
  std::unique_ptr<RequestMetrics> metrics_;
  std::vector<otel::LogRecord> logs_;
  std::uint64_t logs_dropped_ = 0;
  // Transport failures tallied per (kind, target) and handed to the shared limiter at most
  // once a second each (no lock per failing request); `example` is the first error's text.
  struct FailureTally {
    std::string key;      // "<kind> <host:port>", or "(other)" once the table is full
    std::string example;  // "<kind>: <detail>"
    std::uint64_t count = 0;
    std::int64_t pushed_ns = 0;
  };
  std::vector<FailureTally> failure_tally_;
  net::Sleeper watch_sleeper_;
  core::Rng watch_rng_;  // trace and span ids of the flag polls (seeded in the ctor)
  bool watch_stop_ = false;
  std::atomic<int> watchers_{0};
  // The open model: this worker's share of the schedule, its idle users, its drops.
  ArrivalOrder arrivals_;
  net::Sleeper arrival_sleeper_;
  bool arrivals_stop_ = false;
  std::atomic<bool> arrivals_running_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::vector<PoolSlot*> free_;  // idle users, parked; the newest idle is used first
  std::int64_t pooled_ = 0;      // this worker's pooled users (created and not ended)
  core::Rng arrival_rng_;        // picks the class of a new user
};

}  // namespace loadgen::engine
