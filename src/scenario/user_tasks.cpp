// Running a user's tasks (see run_user in user.hpp): the pick (weighted, or in order for a
// sequential class or set), the user's and the task sets' loops with their waits, and the pieces
// the open model runs a user in. What a task throws is settled here (User::settle_unwound_spans).
#include <algorithm>
#include <cassert>
#include <exception>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "scenario/user.hpp"

namespace loadgen::scenario {

namespace {

const TaskDef& pick_weighted(const std::vector<TaskDef>& tasks, std::uint64_t total,
                             core::Rng& rng) {
  assert(!tasks.empty());
  if (total == 0) return tasks.front();
  std::uint64_t r = rng.below(total);
  for (const auto& t : tasks) {
    if (r < t.weight) return t;
    r -= t.weight;
  }
  return tasks.back();
}

// In 64 bits: a file may give many tasks large weights.
std::uint64_t sum_weights(const std::vector<TaskDef>& tasks) {
  std::uint64_t total = 0;
  for (const auto& t : tasks) total += t.weight;
  return total;
}

// Sequential order: task i runs weight(i) times in a row (Locust's SequentialTaskSet repeats a
// task of weight n n times). `pos` counts runs; returns the task for run `pos`.
const TaskDef& pick_sequential(const std::vector<TaskDef>& tasks, std::uint64_t total,
                               std::uint64_t pos) {
  assert(!tasks.empty());
  if (total == 0) return tasks[pos % tasks.size()];
  std::uint64_t r = pos % total;
  for (const auto& t : tasks) {
    if (r < t.weight) return t;
    r -= t.weight;
  }
  return tasks.back();
}

}  // namespace

std::uint64_t UserClass::total_task_weight() const { return sum_weights(tasks); }

const TaskDef& UserClass::pick(core::Rng& rng) const {
  return pick_weighted(tasks, total_task_weight(), rng);
}

std::uint64_t TaskSet::total_task_weight() const { return sum_weights(tasks); }

const TaskDef& TaskSet::pick(core::Rng& rng) const {
  return pick_weighted(tasks, total_task_weight(), rng);
}

// A task that never suspends (it fails before any I/O, or returns at once) with no wait after
// it would keep the worker's thread forever: commands, timers and other users would never run
// (Locust's greenlets have the same problem with wait 0; gevent yields on I/O only). After 64
// tasks in a row without a wait, the user yields to the loop once (inline in the loops below:
// no coroutine frame per task): a negligible cost for a user whose tasks wait on the network.
constexpr unsigned kYieldAfterTasksWithoutWait = 64;

// Not a coroutine: the task's own frame is the only one allocated per task (the hot path).
core::Task<> run_task(User& u, const TaskDef& t) {
  return t.set ? run_task_set(u, *t.set) : t.fn(u);
}

core::Task<> run_task_set(User& u, const TaskSet& set) {
  using Unwind = User::Unwind;
  const UserClass& cls = *u.class_;
  const WaitTime& wait_time = set.wait_time ? *set.wait_time : cls.wait_time;
  const std::uint64_t total = set.total_task_weight();
  bool reschedule_parent = false;
  // StopUser or core::Cancelled leaving the set: on_stop runs first, then it goes on up (Locust's
  // TaskSet.run runs on_stop on StopUser and GreenletExit before re-raising).
  std::exception_ptr leaving;
  try {
    if (set.on_start) co_await set.on_start(u);
    std::uint64_t pos = 0;
    unsigned no_wait_streak = 0;
    while (!u.stopping_ && !set.tasks.empty()) {
      const TaskDef& t = set.sequential ? pick_sequential(set.tasks, total, pos++)
                                        : pick_weighted(set.tasks, total, u.rng_);
      bool reschedule = false;
      u.begin_trace();  // every task starts a new trace, inside a set too
      try {
        co_await run_task(u, t);
      } catch (const RescheduleTask&) {
        u.settle_unwound_spans(Unwind::kControlFlow);
        reschedule = true;
      } catch (const InterruptTaskSet&) {
        throw;
      } catch (const StopUser&) {
        throw;
      } catch (const core::Cancelled&) {
        throw;
      } catch (const std::exception& e) {
        u.settle_unwound_spans(Unwind::kException, &e);
        u.events_->on_task_exception(cls, t.name, e.what());
      }
      if (u.stopping_) break;
      std::chrono::nanoseconds wait{0};
      if (!reschedule) {
        const auto now = core::mono_ns();
        wait = wait_time.next(u.rng_, std::chrono::nanoseconds(now - u.last_wait_end_ns_));
        if (wait.count() > 0 && !u.stopping_) {
          u.client_->park_for(wait);
          co_await u.loop_->sleep(u.sleeper_, wait);
        }
        if (u.killed_) throw core::Cancelled{};
        u.last_wait_end_ns_ = core::mono_ns();
      }
      if (wait.count() > 0) {
        no_wait_streak = 0;
      } else if (++no_wait_streak == kYieldAfterTasksWithoutWait) {
        no_wait_streak = 0;
        co_await u.loop_->yield();
        if (u.killed_) throw core::Cancelled{};
      }
    }
  } catch (const InterruptTaskSet& e) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    reschedule_parent = e.reschedule;
  } catch (const StopUser&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    leaving = std::current_exception();
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
    leaving = std::current_exception();
  }
  if (set.on_stop) {
    try {
      co_await set.on_stop(u);
    } catch (const core::Cancelled&) {
      u.settle_unwound_spans(Unwind::kCancelled);
      if (!leaving) leaving = std::current_exception();
    } catch (const StopUser&) {
      u.settle_unwound_spans(Unwind::kControlFlow);
      if (!leaving) leaving = std::current_exception();
    } catch (const std::exception& e) {
      // Reported under the set's name; the set is left as it was going to be.
      u.settle_unwound_spans(Unwind::kException, &e);
      u.events_->on_task_exception(cls, set.name.empty() ? "on_stop" : set.name + ".on_stop",
                                   e.what());
    }
  }
  if (leaving) std::rethrow_exception(leaving);
  if (reschedule_parent) throw RescheduleTask{};
}

core::Task<> run_user(User& u) {
  const UserClass& cls = *u.class_;
  if (u.start_delay_ns_ > 0) {
    co_await u.loop_->sleep(u.sleeper_, std::chrono::nanoseconds(u.start_delay_ns_));
    if (u.stopping_) co_return;  // stopped before it started: no on_start, no on_stop
    u.last_wait_end_ns_ = core::mono_ns();
  }
  bool cancelled = false;
  using Unwind = User::Unwind;
  try {
    co_await run_on_start(u);
    const std::uint64_t total = cls.total_task_weight();
    const bool track_waits =
        cls.wait_time.paced() || std::any_of(cls.tasks.begin(), cls.tasks.end(),
                                             [](const TaskDef& d) { return d.set != nullptr; });
    std::uint64_t pos = 0;
    unsigned no_wait_streak = 0;
    while (!u.stopping_) {
      const TaskDef& t = cls.sequential ? pick_sequential(cls.tasks, total, pos++)
                                        : pick_weighted(cls.tasks, total, u.rng_);
      bool reschedule = false;
      u.begin_trace();  // each top-level task starts a new trace
      try {
        co_await run_task(u, t);
      } catch (const StopUser&) {
        u.settle_unwound_spans(Unwind::kControlFlow);
        break;
      } catch (const RescheduleTask&) {
        u.settle_unwound_spans(Unwind::kControlFlow);
        reschedule = true;
      } catch (const core::Cancelled&) {
        u.settle_unwound_spans(Unwind::kCancelled);
        throw;
      } catch (const std::exception& e) {
        u.settle_unwound_spans(Unwind::kException, &e);
        u.events_->on_task_exception(cls, t.name, e.what());
      }
      if (u.stopping_) break;
      std::chrono::nanoseconds wait{0};
      if (!reschedule) {
        // The clock only when a pacing wait uses the time since the last wait (this loop's
        // or a task set's first): no clock read per task otherwise.
        const auto now = track_waits ? core::mono_ns() : 0;
        wait = cls.wait_time.next(u.rng_, std::chrono::nanoseconds(now - u.last_wait_end_ns_));
        // Awaited directly (not through User::sleep) so a waiting user holds no extra frame.
        if (wait.count() > 0 && !u.stopping_) {
          u.client_->park_for(wait);  // a long wait: its connection serves other users
          co_await u.loop_->sleep(u.sleeper_, wait);
        }
        if (u.killed_) throw core::Cancelled{};
        if (track_waits) u.last_wait_end_ns_ = wait.count() > 0 ? core::mono_ns() : now;
      }
      if (wait.count() > 0) {
        no_wait_streak = 0;
      } else if (++no_wait_streak == kYieldAfterTasksWithoutWait) {
        no_wait_streak = 0;
        co_await u.loop_->yield();
        if (u.killed_) throw core::Cancelled{};
      }
    }
  } catch (const core::Cancelled&) {
    cancelled = true;
  }
  // Locust runs on_stop also when the user is killed (GreenletExit); a killed user's client
  // refuses new requests, so on_stop can only do local work then.
  co_await run_on_stop(u, cancelled);
}

core::Task<> run_on_start(User& u) {
  using Unwind = User::Unwind;
  try {
    u.begin_trace();
    co_await u.on_start();
  } catch (const StopUser&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    u.stopping_ = true;
  } catch (const RescheduleTask&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
    throw;
  } catch (const std::exception& e) {
    u.settle_unwound_spans(Unwind::kException, &e);
    u.events_->on_task_exception(*u.class_, "on_start", e.what());
  }
}

core::Task<Iteration> run_iteration(User& u, std::uint64_t& pos) {
  using Unwind = User::Unwind;
  const UserClass& cls = *u.class_;
  const std::uint64_t total = cls.total_task_weight();
  const TaskDef& t = cls.sequential ? pick_sequential(cls.tasks, total, pos++)
                                    : pick_weighted(cls.tasks, total, u.rng_);
  Iteration out{&t, false};
  u.begin_trace();  // each iteration starts a new trace, as a top-level task does
  try {
    co_await run_task(u, t);
  } catch (const StopUser&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    out.stop_user = true;
  } catch (const RescheduleTask&) {
    u.settle_unwound_spans(Unwind::kControlFlow);  // no wait to skip in the open model
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
    throw;
  } catch (const std::exception& e) {
    u.settle_unwound_spans(Unwind::kException, &e);
    u.events_->on_task_exception(cls, t.name, e.what());
  }
  co_return out;
}

core::Task<> run_on_stop(User& u, bool cancelled) {
  using Unwind = User::Unwind;
  try {
    co_await u.on_stop();
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
  } catch (const std::exception& e) {
    u.settle_unwound_spans(cancelled ? Unwind::kCancelled : Unwind::kException, &e);
    if (!cancelled) u.events_->on_task_exception(*u.class_, "on_stop", e.what());
  }
  u.settle_unwound_spans(Unwind::kUnknown);
}

}  // namespace loadgen::scenario
