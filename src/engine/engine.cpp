#include "engine/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "core/clock.hpp"
#include "http/url.hpp"

namespace loadgen::engine {

namespace {

std::vector<plan::ClassPicker::ClassInfo> class_infos(const scenario::Scenario& sc) {
  std::vector<plan::ClassPicker::ClassInfo> out;
  for (const auto& c : sc.user_classes) out.push_back({c.weight, c.fixed_count});
  return out;
}

}  // namespace

Engine::Engine(EngineConfig cfg, scenario::Scenario scenario, double now_s, double now_wall)
    : cfg_(std::move(cfg)),
      scenario_(std::move(scenario)),
      picker_(class_infos(scenario_)),
      class_counts_(scenario_.user_classes.size(), 0),
      seed_(cfg_.seed != 0
                ? cfg_.seed
                : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()),
      stats_(now_wall, cfg_.max_names) {
  ramp_.start_s = now_s;
  start_unix_nano_ = static_cast<std::uint64_t>(now_wall * 1e9);
  if (cfg_.flags) {
    flag_warnings_ = std::make_unique<core::RateLimitedWarning>(
        cfg_.log, std::chrono::nanoseconds(cfg_.flags->warn_interval));
  }
  failure_warnings_ = std::make_unique<core::RateLimitedWarning>(cfg_.log);
  // A class with a host of its own (Locust's User.host) gets a client config with that base.
  for (const auto& c : scenario_.user_classes) {
    auto& slot = class_clients_.emplace_back();
    if (c.host.empty()) continue;
    auto url = http::parse_url(c.host);
    if (!url) continue;  // the scenario loader validated it; a bad one falls back to --host
    slot = std::make_unique<client::ClientConfig>(cfg_.client);
    slot->set_base(std::move(*url));
  }
  const int n = std::max(1, cfg_.threads);
  for (int i = 0; i < n; ++i) {
    WorkerConfig wc{&cfg_.client,
                    cfg_.tls,
                    cfg_.max_names,
                    cfg_.flags ? &*cfg_.flags : nullptr,
                    cfg_.log,
                    flag_warnings_.get(),
                    failure_warnings_.get(),
                    cfg_.trace ? &*cfg_.trace : nullptr,
                    cfg_.span_capacity_per_worker,
                    &cfg_.logs,
                    cfg_.log_capacity_per_worker,
                    cfg_.request_metrics ? &*cfg_.request_metrics : nullptr};
    wc.loop_nap = cfg_.loop_nap;
    workers_.push_back(std::make_unique<Worker>(i, wc));
  }
  late_reports_.resize(workers_.size());
  late_spans_.resize(workers_.size());
  late_logs_.resize(workers_.size());
  late_metrics_.resize(workers_.size());
  for (auto& w : workers_) w->start();
  if (cfg_.flags && !scenario_.users_flag.empty()) {
    workers_.front()->watch_flag(scenario_.users_flag, &flag_users_);
  }
}

Engine::~Engine() { shutdown(); }

std::uint64_t Engine::seed_for(std::uint64_t id) const { return user_seed(seed_, id); }

std::int64_t Engine::alive() const {
  std::int64_t n = 0;
  for (const auto& w : workers_) n += w->alive();
  return n;
}

std::uint64_t Engine::users_started() const {
  std::uint64_t n = 0;
  for (const auto& w : workers_) n += w->users_started();
  return n;
}

net::ConnectionStats Engine::connection_stats() const {
  net::ConnectionStats s;
  for (const auto& w : workers_) s += w->connection_stats();
  return s;
}

std::uint64_t Engine::users_stopped() const {
  std::uint64_t n = 0;
  for (const auto& w : workers_) n += w->users_stopped();
  return n;
}

std::vector<std::int64_t> Engine::worker_cpu_ns() const {
  std::vector<std::int64_t> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->cpu_time_ns());
  return out;
}

void Engine::start_arrivals(double now_s) {
  if (!cfg_.arrivals || state_ != RunState::kReady) return;
  state_ = RunState::kRunning;
  target_ = cfg_.arrivals->max_users;
  ramp_.start_s = now_s;
  arrivals_started_ = true;
  const std::int64_t start_ns = core::mono_ns();
  std::vector<const client::ClientConfig*> clients;
  for (const auto& c : class_clients_) clients.push_back(c.get());
  // Each worker with arrivals owns a fixed share of the pool (max_users split evenly, the first
  // ones one more), so an arrival is dropped only when its worker's share is busy; with fewer
  // users than workers only max_users workers take arrivals (docs/load-models.md).
  const auto max_users =
      static_cast<std::uint64_t>(std::max<std::int64_t>(1, cfg_.arrivals->max_users));
  const std::uint64_t active = std::min<std::uint64_t>(workers_.size(), max_users);
  for (std::size_t w = 0; w < active; ++w) {
    const std::uint64_t quota = max_users / active + (w < max_users % active ? 1 : 0);
    workers_[w]->start_arrivals(ArrivalOrder{.schedule = cfg_.arrivals->schedule,
                                             .first = w,
                                             .stride = active,
                                             .start_mono_ns = start_ns,
                                             .quota = static_cast<std::int64_t>(quota),
                                             .pool = &pool_,
                                             .next_id = &next_pool_id_,
                                             .run_seed = seed_,
                                             .classes = &scenario_.user_classes,
                                             .class_clients = clients});
  }
}

bool Engine::arrivals_done() const {
  if (!arrivals_started_) return false;
  return std::none_of(workers_.begin(), workers_.end(),
                      [](const auto& w) { return w->arrivals_running(); });
}

std::uint64_t Engine::iterations_dropped() const {
  std::uint64_t n = 0;
  for (const auto& w : workers_) n += w->iterations_dropped();
  return n;
}

void Engine::set_target(std::int64_t users, double spawn_rate, double now_s) {
  if (state_ == RunState::kStopping || state_ == RunState::kStopped) return;
  if (cfg_.arrivals) return;  // the open model's users come and go with the arrivals
  target_ = std::max<std::int64_t>(0, users);
  target_from_flag_ = false;  // tick() sets it again after its own call
  ++ramp_generation_;
  ramp_ = plan::Ramp{spawned(), target_, spawn_rate > 0 ? spawn_rate : 1.0, now_s};
  state_ = spawned() == target_ ? RunState::kRunning : RunState::kSpawning;
  tick(now_s);
}

bool Engine::idle() const {
  if (alive() != 0) return false;
  for (const auto& w : workers_) {
    if (w->watching() || w->arrivals_running()) return false;
  }
  return true;
}

void Engine::tick(double now_s) {
  // The scenario's users flag (the demo's loadGeneratorVUs) sets the live user count.
  // (Not in the open model: its pool is --max-users, and set_target ignores a count.)
  if (const std::int64_t want = flag_users_.load(std::memory_order_relaxed);
      !cfg_.arrivals && want > 0 && want != applied_flag_users_ &&
      (state_ == RunState::kSpawning || state_ == RunState::kRunning)) {
    applied_flag_users_ = want;
    if (want != target_) {
      if (cfg_.log) {
        cfg_.log->log(core::LogLevel::kInfo,
                      fmt::format("flag {} = {}: changing the user count from {} to {}",
                                  scenario_.users_flag, want, target_, want));
      }
      set_target(want, ramp_.rate, now_s);
      target_from_flag_ = true;
      return;  // set_target ticks
    }
  }
  if (state_ == RunState::kSpawning) {
    const std::int64_t want = ramp_.desired(now_s);
    const std::int64_t have = spawned();
    if (want > have) spawn_n(want - have);
    if (want < have) stop_newest(have - want, now_s);
    if (spawned() == target_) state_ = RunState::kRunning;
  }
  // Users stopped gracefully get killed when the stop timeout expires.
  for (auto it = pending_kills_.begin(); it != pending_kills_.end();) {
    if (it->at_s <= now_s) {
      workers_[it->worker]->stop_users(std::move(it->ids), /*graceful=*/false);
      it = pending_kills_.erase(it);
    } else {
      ++it;
    }
  }
  if (kill_all_at_ && *kill_all_at_ <= now_s) {
    kill_all_at_.reset();
    for (auto& w : workers_) w->stop_all(/*graceful=*/false);
  }
}

void Engine::spawn_n(std::int64_t n) {
  std::vector<std::vector<SpawnOrder>> batches(workers_.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const std::size_t cls = picker_.next(class_counts_);
    if (cls >= scenario_.user_classes.size()) break;
    const std::uint32_t w = next_worker_;
    next_worker_ = (next_worker_ + 1) % static_cast<std::uint32_t>(workers_.size());
    const std::uint64_t id = next_id_++;
    // Locust starts a step's users at once; we spread them over the step so that users really
    // start at the spawn rate (no burst of simultaneous first requests).
    const auto delay_ns = static_cast<std::int64_t>(static_cast<double>(i) / ramp_.rate * 1e9);
    batches[w].push_back(SpawnOrder{&scenario_.user_classes[cls], id, seed_for(id), delay_ns,
                                    class_clients_[cls].get()});
    live_.push_back(LiveUser{id, w, static_cast<std::uint32_t>(cls)});
    ++class_counts_[cls];
  }
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    if (!batches[w].empty()) workers_[w]->spawn(std::move(batches[w]));
  }
}

void Engine::set_class_counts(const std::vector<std::int64_t>& counts, double now_s) {
  if (state_ == RunState::kStopping || state_ == RunState::kStopped) return;
  if (cfg_.arrivals) return;
  target_ = 0;
  for (std::size_t c = 0; c < class_counts_.size(); ++c) {
    const std::int64_t want = c < counts.size() ? std::max<std::int64_t>(0, counts[c]) : 0;
    if (want < class_counts_[c]) stop_newest_of(c, class_counts_[c] - want, now_s);
    if (want > class_counts_[c]) spawn_class(c, want - class_counts_[c]);
    target_ += want;
  }
  target_from_flag_ = false;
  ++ramp_generation_;
  ramp_ = plan::Ramp{target_, target_, ramp_.rate > 0 ? ramp_.rate : 1.0, now_s};
  state_ = RunState::kRunning;
}

void Engine::spawn_class(std::size_t cls, std::int64_t n) {
  std::vector<std::vector<SpawnOrder>> batches(workers_.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint32_t w = next_worker_;
    next_worker_ = (next_worker_ + 1) % static_cast<std::uint32_t>(workers_.size());
    const std::uint64_t id = next_id_++;
    batches[w].push_back(
        SpawnOrder{&scenario_.user_classes[cls], id, seed_for(id), 0, class_clients_[cls].get()});
    live_.push_back(LiveUser{id, w, static_cast<std::uint32_t>(cls)});
    ++class_counts_[cls];
  }
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    if (!batches[w].empty()) workers_[w]->spawn(std::move(batches[w]));
  }
}

void Engine::stop_newest_of(std::size_t cls, std::int64_t n, double now_s) {
  std::vector<std::vector<std::uint64_t>> ids(workers_.size());
  std::int64_t left = n;
  // Newest first: walk from the back, keeping the order of the users that stay.
  std::size_t keep = live_.size();
  for (std::size_t i = live_.size(); i-- > 0 && left > 0;) {
    if (live_[i].cls != cls) continue;
    ids[live_[i].worker].push_back(live_[i].id);
    --class_counts_[cls];
    --left;
    live_[i].id = 0;  // marked
    keep = i;
  }
  live_.erase(std::remove_if(live_.begin() + static_cast<std::ptrdiff_t>(keep), live_.end(),
                             [](const LiveUser& u) { return u.id == 0; }),
              live_.end());
  stop_ids(std::move(ids), now_s);
}

void Engine::stop_newest(std::int64_t n, double now_s) {
  std::vector<std::vector<std::uint64_t>> ids(workers_.size());
  for (std::int64_t i = 0; i < n && !live_.empty(); ++i) {
    const LiveUser u = live_.back();
    live_.pop_back();
    --class_counts_[u.cls];
    ids[u.worker].push_back(u.id);
  }
  stop_ids(std::move(ids), now_s);
}

void Engine::stop_ids(std::vector<std::vector<std::uint64_t>> ids, double now_s) {
  const bool graceful = cfg_.stop_timeout.has_value();
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    if (ids[w].empty()) continue;
    if (graceful) {
      const double at = now_s + std::chrono::duration<double>(*cfg_.stop_timeout).count();
      pending_kills_.push_back(PendingKill{at, static_cast<std::uint32_t>(w), ids[w]});
    }
    workers_[w]->stop_users(std::move(ids[w]), graceful);
  }
}

void Engine::stop_all(double now_s) {
  if (state_ == RunState::kStopping || state_ == RunState::kStopped) return;
  state_ = RunState::kStopping;
  const bool graceful = cfg_.stop_timeout.has_value();
  live_.clear();
  std::fill(class_counts_.begin(), class_counts_.end(), 0);
  pending_kills_.clear();
  for (auto& w : workers_) {
    w->stop_all(graceful);
    w->stop_watches();
  }
  if (graceful) kill_all_at_ = now_s + std::chrono::duration<double>(*cfg_.stop_timeout).count();
}

void Engine::kill_all_now() {
  kill_all_at_.reset();
  pending_kills_.clear();
  for (auto& w : workers_) w->stop_all(/*graceful=*/false);
}

void Engine::rearm(double now_s) {
  kill_all_now();
  live_.clear();
  std::fill(class_counts_.begin(), class_counts_.end(), 0);
  target_ = 0;
  arrivals_started_ = false;
  ramp_ = plan::Ramp{};
  ramp_.start_s = now_s;
  state_ = RunState::kReady;
  if (cfg_.flags && !scenario_.users_flag.empty() && !workers_.front()->watching()) {
    workers_.front()->watch_flag(scenario_.users_flag, &flag_users_);
  }
}

namespace {

// Gathers from every worker what it holds now: asks each (`ask`), waits until `deadline` and
// hands each answer to `use(worker index, answer)`. An answer not ready by then stays in its
// slot for the next call: a worker whose loop is busy (a large body being decoded, a task
// that blocks) has already handed its data over, so dropping the future would lose it. An
// earlier call's answer found ready is used and the worker asked again, so that what it
// recorded since is gathered too. True when every worker answered this call in time.
template <class T, class Ask, class Use>
bool gather(std::vector<std::future<T>>& pending,
            const std::vector<std::unique_ptr<Worker>>& workers, Ask ask,
            std::chrono::steady_clock::time_point deadline, Use use) {
  std::vector<bool> fresh(workers.size(), false);
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (!pending[i].valid()) {
      pending[i] = ask(*workers[i]);
      fresh[i] = true;
    }
  }
  bool all = true;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    for (;;) {
      if (pending[i].wait_until(deadline) != std::future_status::ready) {
        all = false;
        break;
      }
      try {
        use(i, pending[i].get());  // get() empties the slot
      } catch (const std::future_error&) {
        // The worker's loop was stopped before it ran the request (process exit): nothing
        // to merge, and the slot is empty again.
      }
      if (fresh[i]) break;
      pending[i] = ask(*workers[i]);  // the late answer is in; now what came after it
      fresh[i] = true;
    }
  }
  return all;
}

}  // namespace

bool Engine::collect(std::chrono::milliseconds timeout) {
  return gather(
      late_reports_, workers_, [](Worker& w) { return w.report(); },
      std::chrono::steady_clock::now() + timeout,
      [this](std::size_t, WorkerReport r) {
        if (cfg_.keep_deltas) {
          if (!delta_) delta_ = std::make_unique<stats::Aggregate>(0, cfg_.max_names);
          delta_->merge(stats::Snapshot(r.stats));
          for (const auto& [key, n] : r.exceptions) delta_exceptions_[key] += n;
        }
        stats_.merge(std::move(r.stats));
        for (auto& [key, n] : r.exceptions) exceptions_[key] += n;
      });
}

StatsDelta Engine::take_delta() {
  StatsDelta out;
  out.exceptions.swap(delta_exceptions_);
  if (!delta_) return out;
  for (const stats::Entry* e : delta_->entries()) {
    if (e->num_requests != 0 || e->num_failures != 0) out.stats.entries.push_back(*e);
  }
  out.stats.errors.merge(delta_->errors());
  delta_.reset();
  return out;
}

void Engine::drain(std::vector<otel::SpanData>& out, std::uint64_t& dropped) {
  otel::SpanDrain d;
  d.spans.swap(out);
  drain_into(d);
  out.swap(d.spans);
  for (const auto& c : d.client) otel::append_span_data(*c, 0, c->records.size(), out);
  dropped += d.dropped;
}

void Engine::drain_into(otel::SpanDrain& out) {
  gather(
      late_spans_, workers_,
      [&out](Worker& w) {
        std::unique_ptr<otel::ClientSpans> spare;
        if (!out.spare.empty()) {
          spare = std::move(out.spare.back());
          out.spare.pop_back();
        }
        return w.take_spans(std::move(spare));
      },
      std::chrono::steady_clock::now() + cfg_.drain_wait,
      [&out](std::size_t, WorkerSpans taken) {
        out.dropped += taken.dropped;
        if (out.spans.empty()) {
          out.spans = std::move(taken.spans);
        } else {
          out.spans.insert(out.spans.end(), std::make_move_iterator(taken.spans.begin()),
                           std::make_move_iterator(taken.spans.end()));
        }
        // The CLIENT spans stay compact: the exporter encodes them from the records.
        if (!taken.client) return;
        if (taken.client->records.empty()) {
          out.spare.push_back(std::move(taken.client));
        } else {
          out.client.push_back(std::move(taken.client));
        }
      });
}

void Engine::on_batch_ready(std::size_t batch, std::function<void()> ready) {
  auto shared = std::make_shared<const std::function<void()>>(std::move(ready));
  for (auto& w : workers_) w->set_batch_ready(batch, shared);
}

std::vector<otel::Metric> Engine::collect_metrics(std::uint64_t now_unix_nano) {
  std::vector<otel::Metric> out;
  if (!cfg_.request_metrics) return out;
  if (!request_stream_) {
    request_stream_ =
        std::make_unique<RequestMetricStream>(*cfg_.request_metrics, start_unix_nano_);
  }
  // Deltas add up: one merged at a later collection loses nothing.
  gather(
      late_metrics_, workers_, [now_unix_nano](Worker& w) { return w.take_metrics(now_unix_nano); },
      std::chrono::steady_clock::now() + cfg_.drain_wait,
      [this](std::size_t, std::shared_ptr<RequestMetrics::Delta> d) {
        if (d) request_stream_->merge(*d);
      });
  request_stream_->collect(now_unix_nano, out);
  // A metric with no point yet (no request so far) is left out rather than sent empty.
  std::erase_if(out, [](const otel::Metric& m) { return otel::data_point_count(m) == 0; });
  return out;
}

void Engine::drain(std::vector<otel::LogRecord>& out, std::uint64_t& dropped) {
  gather(
      late_logs_, workers_, [](Worker& w) { return w.take_logs(); },
      std::chrono::steady_clock::now() + cfg_.drain_wait,
      [&out, &dropped](std::size_t, std::pair<std::vector<otel::LogRecord>, std::uint64_t> r) {
        dropped += r.second;
        out.insert(out.end(), std::make_move_iterator(r.first.begin()),
                   std::make_move_iterator(r.first.end()));
      });
}

void Engine::reset_stats(double now_wall) {
  // Drop what the workers hold too; a worker still busy after 5 s would add its pre-reset
  // counts at the next collection.
  collect(std::chrono::seconds(5));
  stats_.reset(now_wall);
  exceptions_.clear();
}

void Engine::clear_stats(double now_wall) {
  collect(std::chrono::seconds(2));
  stats_ = stats::Aggregate(now_wall, cfg_.max_names);
  exceptions_.clear();
  delta_.reset();  // a new run: the old one's figures are not reported
  delta_exceptions_.clear();
}

std::uint64_t Engine::exception_count() const {
  std::uint64_t n = 0;
  for (const auto& [k, v] : exceptions_) n += v;
  return n;
}

void Engine::shutdown() {
  // A flag watcher is a detached task on its worker's loop: it must end before the loop stops,
  // or its frame is left suspended (a leak). One that sleeps ends at once; one waiting for
  // flagd within its request timeout. This matters on the early exits (a start-up error after
  // the engine is built), where stop_all() never ran.
  if (state_ != RunState::kStopped && cfg_.flags) {
    bool any = false;
    for (auto& w : workers_) {
      if (w->watching()) {
        w->stop_watches();
        any = true;
      }
    }
    const auto until =
        std::chrono::steady_clock::now() + cfg_.flags->timeout + std::chrono::milliseconds(500);
    while (any && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      any = std::any_of(workers_.begin(), workers_.end(),
                        [](const auto& w) { return w->watching(); });
    }
  }
  state_ = RunState::kStopped;
  for (auto& w : workers_) w->shutdown();
}

}  // namespace loadgen::engine
