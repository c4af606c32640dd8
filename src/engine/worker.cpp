#include "engine/worker.hpp"

#include <pthread.h>

#include <string>

#include "http/method.hpp"

namespace loadgen::engine {

Worker::Worker(int index, WorkerConfig cfg)
    : index_(index), cfg_(cfg), loop_(cfg.tls), shard_(cfg.max_names) {
  // Built before the thread starts and destroyed after it stops: never touched concurrently.
  if (cfg_.flags) {
    flags_ = std::make_unique<flags::OfrepFlagSource>(loop_, *cfg_.flags, cfg_.log, nullptr,
                                                      cfg_.flag_warnings);
  }
}

Worker::~Worker() {
  shutdown();
  // Users are destroyed before the loop (member order): their sockets close while the
  // io_context is still alive; handlers still queued are destroyed without running.
  users_.clear();
  loop_.forget(watch_sleeper_);
  flags_.reset();
}

void Worker::start() {
  thread_ = std::thread([this] {
    const std::string name = "loadgen-w" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.c_str());
    loop_.run();
  });
}

void Worker::shutdown() {
  if (!thread_.joinable()) return;
  loop_.stop();
  thread_.join();
}

void Worker::spawn(std::vector<SpawnOrder> orders) {
  loop_.post([this, orders = std::move(orders)] {
    for (const auto& o : orders) start_user(o);
  });
}

void Worker::start_user(const SpawnOrder& o) {
  auto user = o.cls->make();
  user->attach(scenario::User::Runtime{&loop_, cfg_.client, this, this, flags_.get(), o.cls, o.id,
                                      o.seed, o.start_delay_ns, cfg_.trace});
  scenario::User* u = user.get();
  users_.emplace(o.id, std::move(user));
  alive_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t id = o.id;
  core::spawn(scenario::run_user(*u), [this, id](std::exception_ptr) {
    // Destroy the user from the loop, after its coroutine frames have finished.
    loop_.post([this, id] {
      if (users_.erase(id) > 0) alive_.fetch_sub(1, std::memory_order_relaxed);
    });
  });
}

void Worker::stop_user(std::uint64_t id, bool graceful) {
  auto it = users_.find(id);
  if (it == users_.end()) return;
  if (graceful) it->second->request_stop(); else it->second->kill();
}

void Worker::stop_users(std::vector<std::uint64_t> ids, bool graceful) {
  loop_.post([this, ids = std::move(ids), graceful] {
    for (auto id : ids) stop_user(id, graceful);
  });
}

void Worker::stop_all(bool graceful) {
  loop_.post([this, graceful] {
    for (auto& [id, u] : users_) {
      if (graceful) u->request_stop(); else u->kill();
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
    core::spawn(watch_loop(std::move(key), out), [this](std::exception_ptr) {
      watchers_.fetch_sub(1, std::memory_order_relaxed);
    });
  });
}

void Worker::stop_watches() {
  loop_.post([this] {
    watch_stop_ = true;
    loop_.wake(watch_sleeper_);
  });
}

core::Task<> Worker::watch_loop(std::string key, std::atomic<std::int64_t>* out) {
  while (!watch_stop_) {
    out->store(co_await flags_->int_value(key, 0), std::memory_order_relaxed);
    if (watch_stop_) break;
    co_await loop_.sleep(watch_sleeper_, std::chrono::seconds(1));
  }
}

void Worker::on_request(const client::RequestRecord& r) {
  if (r.outcome == client::Outcome::kCancelled) return;
  const auto end_ns = r.start_wall_ns + r.duration_ns;
  shard_.record(http::to_string(r.method), r.name, static_cast<std::uint64_t>(r.duration_ns / 1000),
                r.response_bytes, r.error, static_cast<double>(end_ns) * 1e-9);
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
