// The open model's executor on a worker (k6's constant- and ramping-arrival-rate executors;
// docs/load-models.md): the worker's share of the arrival schedule, its pool of users created
// on demand, dropped arrivals, and the ITER rows with the latency from the intended start.
// Everything here runs on the worker's thread, except start_arrivals (thread-safe).
#include <algorithm>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "engine/worker.hpp"

namespace loadgen::engine {

void Worker::start_arrivals(ArrivalOrder order) {
  arrivals_running_.store(true, std::memory_order_release);
  loop_.post([this, order = std::move(order)]() mutable {
    arrivals_stop_ = false;
    dropped_.store(0, std::memory_order_relaxed);
    arrival_rng_.reseed(user_seed(order.run_seed, ~order.first));
    core::spawn(arrival_loop(std::move(order)), [this](std::exception_ptr) {
      arrivals_running_.store(false, std::memory_order_release);
    });
  });
}

void Worker::stop_arrivals() {
  arrivals_stop_ = true;
  loop_.wake(arrival_sleeper_);
  // Parked users leave the pool; each is woken by its own stop or kill.
  for (PoolSlot* s : free_) s->in_free = false;
  free_.clear();
}

// Iterations start on schedule whether or not earlier ones finished: each is due at
// start + due(n); one found late (a busy loop) starts at once, its latency still counted from
// the intended start.
// A loop behind schedule never sleeps: it yields to the event loop every kDispatchesPerYield
// dispatches in a row, so the users it unparked, stop and kill commands and reports still run.
core::Task<> Worker::arrival_loop(ArrivalOrder order) {
  constexpr int kDispatchesPerYield = 64;
  constexpr double kMaxDueS = 1e9;  // ~31 years; int64 nanoseconds reach ~292 years
  arrivals_ = std::move(order);
  int unsuspended = 0;
  for (std::uint64_t n = arrivals_.first; !arrivals_stop_; n += arrivals_.stride) {
    const std::optional<double> due = arrivals_.schedule->due(n);
    // A due time beyond kMaxDueS (a rate or stages beyond plan's bounds) ends the schedule: its
    // nanoseconds would not fit an int64.
    if (!due || !(*due < kMaxDueS)) break;
    const std::int64_t due_ns = arrivals_.start_mono_ns + static_cast<std::int64_t>(*due * 1e9);
    const std::int64_t wait_ns = due_ns - core::mono_ns();
    if (wait_ns > 0) {
      co_await loop_.sleep(arrival_sleeper_, std::chrono::nanoseconds(wait_ns));
      if (arrivals_stop_) break;
      unsuspended = 0;
    } else if (++unsuspended >= kDispatchesPerYield) {
      co_await loop_.yield();
      if (arrivals_stop_) break;
      unsuspended = 0;
    }
    dispatch(due_ns);
  }
}

void Worker::dispatch(std::int64_t intended_ns) {
  if (!free_.empty()) {
    PoolSlot* s = free_.back();
    free_.pop_back();
    s->in_free = false;
    s->intended_ns = intended_ns;
    s->has_work = true;
    s->user->unpark();
    return;
  }
  // No idle user: a new one if the worker's share of the pool has room, else the arrival is
  // dropped (every user of the share is busy).
  const auto& classes = *arrivals_.classes;
  if (pooled_ >= arrivals_.quota || classes.empty()) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ++pooled_;
  arrivals_.pool->fetch_add(1, std::memory_order_relaxed);
  unsigned total = 0;
  for (const auto& c : classes) total += c.weight;
  std::size_t cls = 0;
  if (total > 0) {
    auto r = static_cast<unsigned>(arrival_rng_.below(total));
    while (cls + 1 < classes.size() && r >= classes[cls].weight) r -= classes[cls++].weight;
  }
  const std::uint64_t id = arrivals_.next_id->fetch_add(1, std::memory_order_relaxed);
  const client::ClientConfig* client = arrivals_.class_clients[cls];
  auto user = classes[cls].make();
  user->attach(scenario::User::Runtime{
      &loop_, client != nullptr ? client : cfg_.client, this, this, flags_.get(), &classes[cls], id,
      user_seed(arrivals_.run_seed, id), 0, cfg_.trace, cfg_.span_capacity > 0 ? this : nullptr,
      cfg_.logs, cfg_.log_capacity > 0 ? this : nullptr});
  scenario::User* u = user.get();
  users_.emplace(id, std::move(user));
  alive_.fetch_add(1, std::memory_order_relaxed);
  started_.fetch_add(1, std::memory_order_relaxed);
  core::spawn(run_pooled(*u, intended_ns), [this, id](std::exception_ptr) {
    arrivals_.pool->fetch_sub(1, std::memory_order_relaxed);
    --pooled_;  // room for another (on the worker's thread, as dispatch)
    loop_.post([this, id] {
      if (users_.erase(id) > 0) {
        stopped_.fetch_add(1, std::memory_order_relaxed);
        alive_.fetch_sub(1, std::memory_order_release);
      }
    });
  });
}

// A pooled user: on_start when created (its first iteration waits for it), then one task per
// arrival handed to it, parked in between; on_stop at the end. Each iteration is recorded as
// an ITER row named after the task, with the latency from its intended start (wrk2: no
// coordinated omission); the requests' rows keep their own service times.
core::Task<> Worker::run_pooled(scenario::User& u, std::int64_t intended_ns) {
  PoolSlot slot{&u, intended_ns, true, false, 0};
  bool cancelled = false;
  try {
    co_await scenario::run_on_start(u);
    while (!u.stopping()) {
      if (slot.has_work) {
        slot.has_work = false;
        const scenario::Iteration it = co_await scenario::run_iteration(u, slot.pos);
        const std::int64_t end_ns = core::mono_ns();
        shard_.record(
            stats::kIterationMethod, it.task->name,
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, end_ns - slot.intended_ns) / 1000),
            0, {}, static_cast<double>(core::wall_ns()) / 1e9);
        if (it.stop_user) break;
        continue;  // stopping is checked first
      }
      if (arrivals_stop_) break;
      if (!slot.in_free) {
        slot.in_free = true;
        free_.push_back(&slot);
      }
      co_await u.park();
    }
  } catch (const core::Cancelled&) {
    cancelled = true;
  }
  if (slot.in_free) std::erase(free_, &slot);
  co_await scenario::run_on_stop(u, cancelled);
}

}  // namespace loadgen::engine
