#include "engine/worker.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "http/method.hpp"
#include "otel/ids.hpp"
#include "otel/sampler.hpp"

namespace loadgen::engine {

Worker::Worker(int index, WorkerConfig cfg)
    : index_(index), cfg_(cfg), loop_(cfg.tls), shard_(cfg.max_names) {
  if (cfg_.metrics) {
    metrics_ = std::make_unique<RequestMetrics>(
        *cfg_.metrics,
        static_cast<std::uint64_t>(core::wall_ns()) + static_cast<std::uint64_t>(index),
        static_cast<std::uint32_t>(index));
  }
  if (cfg_.span_capacity > 0) {
    auto settings = std::make_shared<otel::ClientSpanSettings>();
    if (cfg_.client) settings->user_agent = cfg_.client->user_agent;
    if (cfg_.trace) settings->limits = cfg_.trace->limits;
    client_settings_ = std::move(settings);
    client_spans_ = std::make_unique<otel::ClientSpans>();
    client_spans_->settings = client_settings_;
  }
  watch_rng_.reseed(static_cast<std::uint64_t>(core::wall_ns()) *
                        std::uint64_t{0x9E3779B97F4A7C15} +
                    static_cast<std::uint64_t>(index));
  // Every 20 ms on the loop: the loop's delay (metrics) and overdue failure tallies.
  loop_.on_delay([this](std::int64_t ns) { on_loop_tick(ns); });
  if (cfg_.client) loop_.connection_pool().set_capacity(cfg_.client->idle_pool_capacity);
  // Built before the thread starts and destroyed after it stops: never touched concurrently.
  if (cfg_.flags) {
    flags_ = std::make_unique<flags::OfrepFlagSource>(loop_, *cfg_.flags, cfg_.log, &flag_requests_,
                                                      cfg_.flag_warnings);
  }
}

Worker::~Worker() {
  shutdown();
  // Users are destroyed before the loop (member order): their sockets close while the
  // io_context is still alive; handlers still queued are destroyed without running.
  users_.clear();
  loop_.forget(watch_sleeper_);
  loop_.forget(arrival_sleeper_);
  flags_.reset();
}

void Worker::start() {
  // A turn that ran fewer handlers than this naps (net::EventLoop::set_nap): about one
  // response's worth of handlers each for a few users.
  constexpr std::size_t kNapMinHandlers = 8;
  loop_.set_nap(cfg_.loop_nap, kNapMinHandlers);
  thread_ = std::thread([this] {
    const std::string name = worker_thread_name(static_cast<std::uint32_t>(index_));
    pthread_setname_np(pthread_self(), name.c_str());
    clockid_t cpu_clock{};
    if (pthread_getcpuclockid(pthread_self(), &cpu_clock) == 0) {
      cpu_clock_.store(static_cast<std::int64_t>(cpu_clock), std::memory_order_release);
      has_cpu_clock_.store(true, std::memory_order_release);
    }
    loop_.run();
    has_cpu_clock_.store(false, std::memory_order_release);  // the id may be reused
  });
}

void Worker::shutdown() {
  if (!thread_.joinable()) return;
  loop_.stop();
  thread_.join();
  push_failure_tallies(true);  // the thread is gone: its tallies are ours to hand over
}

void Worker::on_loop_tick(std::int64_t delay_ns) {
  if (metrics_) metrics_->record_loop_delay(delay_ns);
  if (!failure_tally_.empty()) push_failure_tallies(false);
}

std::int64_t Worker::cpu_time_ns() const {
  if (!has_cpu_clock_.load(std::memory_order_acquire)) return -1;
  // A thread's CPU clock is readable from any thread of the process; once the thread has
  // ended it is invalid (EINVAL) and we say so.
  timespec ts{};
  if (clock_gettime(static_cast<clockid_t>(cpu_clock_.load(std::memory_order_acquire)), &ts) != 0)
    return -1;
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void Worker::spawn(std::vector<SpawnOrder> orders) {
  loop_.post([this, orders = std::move(orders)] {
    for (const auto& o : orders) start_user(o);
  });
}

void Worker::start_user(const SpawnOrder& o) {
  auto user = o.cls->make();
  user->attach(scenario::User::Runtime{&loop_, o.client != nullptr ? o.client : cfg_.client, this,
                                       this, flags_.get(), o.cls, o.id, o.seed, o.start_delay_ns,
                                       cfg_.trace, cfg_.span_capacity > 0 ? this : nullptr,
                                       cfg_.logs, cfg_.log_capacity > 0 ? this : nullptr});
  scenario::User* u = user.get();
  users_.emplace(o.id, std::move(user));
  alive_.fetch_add(1, std::memory_order_relaxed);
  started_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t id = o.id;
  core::spawn(scenario::run_user(*u), [this, id](std::exception_ptr) {
    // Destroy the user from the loop, after its coroutine frames have finished.
    loop_.post([this, id] {
      if (users_.erase(id) > 0) {
        // stopped_ first: whoever sees alive() reach 0 (acquire) sees every stop counted.
        stopped_.fetch_add(1, std::memory_order_relaxed);
        alive_.fetch_sub(1, std::memory_order_release);
      }
    });
  });
}

void Worker::stop_user(std::uint64_t id, bool graceful) {
  auto it = users_.find(id);
  if (it == users_.end()) return;
  if (graceful)
    it->second->request_stop();
  else
    it->second->kill();
}

void Worker::stop_users(std::vector<std::uint64_t> ids, bool graceful) {
  loop_.post([this, ids = std::move(ids), graceful] {
    for (auto id : ids) stop_user(id, graceful);
  });
}

void Worker::stop_all(bool graceful) {
  loop_.post([this, graceful] {
    stop_arrivals();
    for (auto& [id, u] : users_) {
      if (graceful)
        u->request_stop();
      else
        u->kill();
    }
  });
}

std::future<WorkerReport> Worker::report() {
  auto promise = std::make_shared<std::promise<WorkerReport>>();
  auto fut = promise->get_future();
  loop_.post([this, promise] {
    WorkerReport r;
    r.stats = shard_.take();
    r.exceptions.swap(exceptions_);
    promise->set_value(std::move(r));
  });
  return fut;
}

void Worker::watch_flag(std::string key, std::atomic<std::int64_t>* out) {
  if (!flags_) return;
  watchers_.fetch_add(1, std::memory_order_relaxed);
  loop_.post([this, key = std::move(key), out]() mutable {
    watch_stop_ = false;  // a watch started again after stop_watches (a new run)
    core::spawn(watch_loop(std::move(key), out),
                [this](std::exception_ptr) { watchers_.fetch_sub(1, std::memory_order_relaxed); });
  });
}

void Worker::stop_watches() {
  loop_.post([this] {
    watch_stop_ = true;
    loop_.wake(watch_sleeper_);
  });
}

// A poll that calls flagd is traced like the users' requests: a root span of its own,
// `loadgen.flag_watch` (feature_flag.key, the value), whose child is the CLIENT span of the
// flagd request; the request carries traceparent and the synthetic baggage, and is in
// http.client.request.duration like every request that has a CLIENT span. A poll served from
// the flag source's cache makes no request and records nothing.
core::Task<> Worker::watch_loop(std::string key, std::atomic<std::int64_t>* out) {
  while (!watch_stop_) {
    const scenario::TraceSettings* ts = cfg_.trace;
    if (ts == nullptr || !flags_->would_fetch(key)) {
      out->store(co_await flags_->int_value(key, 0, nullptr), std::memory_order_relaxed);
    } else {
      client::RequestTrace trace;
      trace.propagation = &ts->propagation;
      trace.rng = &watch_rng_;
      trace.trace_id = otel::random_trace_id(watch_rng_);
      trace.parent_span_id = otel::random_span_id(watch_rng_);  // the loadgen.flag_watch span
      const bool sampled = !ts->sdk_disabled && ts->sampler.should_sample(trace.trace_id, nullptr);
      trace.trace_flags = static_cast<std::uint8_t>((sampled ? 0x01 : 0x00) | 0x02);  // random ids
      if (sampled) trace.trace_state = otel::sampled_trace_state(ts->sampler);
      trace.baggage_header = "synthetic_request=true";  // W3C Baggage, as the users send it
      otel::SpanData span;
      span.start_time_unix_nano = static_cast<std::uint64_t>(core::span_wall_ns());
      const std::int64_t value = co_await flags_->int_value(key, 0, &trace);
      out->store(value, std::memory_order_relaxed);
      if (sampled && cfg_.span_capacity > 0) {
        span.trace_id = trace.trace_id;
        span.span_id = trace.parent_span_id;
        span.name = "loadgen.flag_watch";
        span.kind = otel::SpanKind::kInternal;
        span.trace_state = trace.trace_state;
        span.flags = trace.trace_flags | 0x100u;  // SpanFlags: has is_remote, not remote
        span.end_time_unix_nano = static_cast<std::uint64_t>(core::span_wall_ns());
        span.attributes.push_back({"feature_flag.key", {key}});
        span.attributes.push_back(
            {"feature_flag.provider.name", {std::string(flags_->provider_name())}});
        span.attributes.push_back({"feature_flag.result.value", {value}});
        record(std::move(span));
      }
    }
    if (watch_stop_) break;
    co_await loop_.sleep(watch_sleeper_, std::chrono::seconds(1));
  }
}

std::future<WorkerSpans> Worker::take_spans(std::unique_ptr<otel::ClientSpans> spare) {
  struct Take {
    std::promise<WorkerSpans> promise;
    std::unique_ptr<otel::ClientSpans> spare;
  };
  auto take = std::make_shared<Take>();
  take->spare = std::move(spare);
  auto fut = take->promise.get_future();
  loop_.post([this, take] {
    WorkerSpans out;
    out.spans.swap(spans_);
    out.dropped = std::exchange(spans_dropped_, 0);
    batch_signalled_ = false;
    if (client_spans_) {
      auto next = take->spare ? std::move(take->spare) : std::make_unique<otel::ClientSpans>();
      next->clear();
      next->settings = client_settings_;
      // Room for about as many as last time: no regrowth in steady state.
      next->records.reserve(std::min(client_spans_->records.size(), cfg_.span_capacity));
      next->text.reserve(client_spans_->text.size());
      out.client = std::exchange(client_spans_, std::move(next));
    }
    take->promise.set_value(std::move(out));
  });
  return fut;
}

void Worker::set_batch_ready(std::size_t batch,
                             std::shared_ptr<const std::function<void()>> ready) {
  loop_.post([this, batch, ready = std::move(ready)] {
    // At most half the buffer: the drain has the other half's time to come.
    batch_ready_at_ = std::max<std::size_t>(1, std::min(batch, cfg_.span_capacity / 2));
    batch_ready_ = ready;
  });
}

void Worker::note_span_buffered() {
  if (batch_ready_ && !batch_signalled_ &&
      spans_.size() + client_spans_->records.size() >= batch_ready_at_) {
    batch_signalled_ = true;
    (*batch_ready_)();
  }
}

std::future<std::shared_ptr<RequestMetrics::Delta>> Worker::take_metrics(
    std::uint64_t now_unix_nano) {
  auto promise = std::make_shared<std::promise<std::shared_ptr<RequestMetrics::Delta>>>();
  auto fut = promise->get_future();
  loop_.post([this, promise, now_unix_nano] {
    promise->set_value(metrics_ ? metrics_->take(now_unix_nano) : nullptr);
  });
  return fut;
}

std::future<std::pair<std::vector<otel::LogRecord>, std::uint64_t>> Worker::take_logs() {
  auto promise =
      std::make_shared<std::promise<std::pair<std::vector<otel::LogRecord>, std::uint64_t>>>();
  auto fut = promise->get_future();
  loop_.post([this, promise] {
    std::vector<otel::LogRecord> out;
    out.swap(logs_);
    logs_.reserve(std::min(out.size(), cfg_.log_capacity));  // no regrowth every interval
    promise->set_value({std::move(out), std::exchange(logs_dropped_, 0)});
  });
  return fut;
}

void Worker::record(otel::LogRecord&& log) {
  if (logs_.size() >= cfg_.log_capacity) {
    ++logs_dropped_;
    return;
  }
  logs_.push_back(std::move(log));
}

void Worker::record(otel::SpanData&& span) {
  if (!client_spans_ || spans_.size() + client_spans_->records.size() >= cfg_.span_capacity) {
    ++spans_dropped_;
    return;
  }
  spans_.push_back(std::move(span));
  note_span_buffered();
}

// A CLIENT span per physical request (each redirect hop): recorded compactly here, encoded
// on the exporter thread (otel::ClientSpans), with the stable HTTP client semantic conventions.
void Worker::on_attempt(const client::AttemptRecord& a) {
  if (metrics_) metrics_->record(a);
  if (cfg_.span_capacity == 0 || (a.trace_flags & 0x01) == 0) return;
  otel::ClientSpans& c = *client_spans_;
  if (spans_.size() + c.records.size() >= cfg_.span_capacity) {
    ++spans_dropped_;
    return;
  }
  auto put = [&c](std::string_view text, std::uint32_t& off, std::uint32_t& len) {
    off = static_cast<std::uint32_t>(c.text.size());
    len = static_cast<std::uint32_t>(text.size());
    c.text.append(text);
  };
  otel::ClientSpanRecord& r = c.records.emplace_back();
  r.trace_id = a.trace_id;
  r.span_id = a.span_id;
  r.parent_span_id = a.parent_span_id;
  r.start_wall_ns = a.start_wall_ns;
  r.end_wall_ns = a.end_wall_ns;
  r.method = http::to_string(a.method);
  put(a.url, r.url_off, r.url_len);
  put(a.server_address, r.address_off, r.address_len);
  // A request cancelled because its user was stopped is not a failure of the request: its
  // span ends without an error status (trace/api.md: instrumentation leaves status unset
  // unless the operation failed). error.type: the status code when it is an error, else the
  // transport outcome kind, whose text is the status message.
  r.error = a.outcome != client::Outcome::kOk && a.outcome != client::Outcome::kCancelled;
  if (r.error && a.outcome != client::Outcome::kHttpStatus) {
    r.error_type = client::to_string(a.outcome);
    put(a.error, r.message_off, r.message_len);
  }
  if (!a.trace_state.empty()) put(a.trace_state, r.state_off, r.state_len);
  r.port = a.server_port;
  r.status = static_cast<std::uint16_t>(a.status > 0 ? a.status : 0);
  r.resend_count = static_cast<std::uint16_t>(std::max(0, a.resend_count));
  r.trace_flags = a.trace_flags;
  note_span_buffered();
}

void Worker::on_request(const client::RequestRecord& r) {
  if (r.outcome == client::Outcome::kCancelled) return;
  if (metrics_) metrics_->record(r);
  if (r.outcome != client::Outcome::kOk && r.outcome != client::Outcome::kHttpStatus &&
      r.outcome != client::Outcome::kCheckFailed &&
      r.outcome != client::Outcome::kTooManyRedirects) {
    note_transport_failure(r);  // the target is down, slow or broken: say so (limited)
  }
  const auto end_ns = r.start_wall_ns + r.duration_ns;
  // A trace id only when its spans are exported (spans buffered here at all, sampled).
  const bool traced = cfg_.span_capacity > 0 && otel::is_valid(r.sampled_trace_id);
  shard_.record(http::to_string(r.method), r.name, static_cast<std::uint64_t>(r.duration_ns / 1000),
                r.response_bytes, r.error, static_cast<double>(end_ns) * 1e-9,
                traced ? &r.sampled_trace_id : nullptr);
}

namespace {
// "host:port" of an absolute URL ("" when it has none).
std::string_view authority_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  url.remove_prefix(scheme + 3);
  return url.substr(0, url.find_first_of("/?#"));
}
constexpr std::int64_t kTallyPushIntervalNs = 1'000'000'000;
}  // namespace

void Worker::note_transport_failure(const client::RequestRecord& r) {
  if (cfg_.failure_warnings == nullptr) return;
  constexpr std::size_t kMaxTallies = 16;
  // One key per failure kind and target: texts that differ in detail (byte counts, ...) are
  // the same trouble; the first text is shown as the example.
  const std::string_view kind = client::to_string(r.outcome);
  const std::string_view target = authority_of(r.url);
  FailureTally* t = nullptr;
  for (auto& e : failure_tally_) {
    if (e.key.size() == kind.size() + 1 + target.size() && e.key.starts_with(kind) &&
        e.key.ends_with(target) && e.key[kind.size()] == ' ') {
      t = &e;
      break;
    }
  }
  if (t == nullptr) {
    if (failure_tally_.size() < kMaxTallies) {
      std::string key;
      key.reserve(kind.size() + 1 + target.size());
      key.append(kind).append(" ").append(target);
      t = &failure_tally_.emplace_back(FailureTally{std::move(key), std::string(r.error), 0, 0});
    } else {
      for (auto& e : failure_tally_)
        if (e.key == "(other)") t = &e;
      if (t == nullptr) {
        // The last slot becomes "(other)": every further kind and target is counted there.
        t = &failure_tally_.back();
        push_failure_tallies(true);
        *t = FailureTally{"(other)", std::string(r.error), 0, 0};
      }
    }
  }
  ++t->count;
  const std::int64_t now = core::mono_ns();
  if (t->pushed_ns != 0 && now - t->pushed_ns < kTallyPushIntervalNs) return;
  cfg_.failure_warnings->warn(t->key, "Requests are failing: " + t->example, now, t->count);
  t->count = 0;
  t->pushed_ns = now;
}

void Worker::push_failure_tallies(bool all) {
  if (cfg_.failure_warnings == nullptr) return;
  const std::int64_t now = core::mono_ns();
  for (auto& t : failure_tally_) {
    if (t.count == 0 || (!all && now - t.pushed_ns < kTallyPushIntervalNs)) continue;
    cfg_.failure_warnings->warn(t.key, "Requests are failing: " + t.example, now, t.count);
    t.count = 0;
    t.pushed_ns = now;
  }
}

void Worker::on_task_exception(const scenario::UserClass& cls, std::string_view task,
                               std::string_view what) {
  if (exceptions_.size() >= 1000) {
    ++exceptions_[{cls.name, "(other)", "exceptions table full"}];
    return;
  }
  ++exceptions_[{cls.name, std::string(task), std::string(what)}];
}

}  // namespace loadgen::engine
