#include "engine/local_runner.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace loadgen::engine {

namespace {

// Locust's "All users spawned" payload: {"ClassA": 3, "ClassB": 1}.
std::string classes_summary(const Engine& e) {
  std::string out = "{";
  const auto& counts = e.class_counts();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (i) out += ", ";
    out += fmt::format("\"{}\": {}", e.scenario().user_classes[i].name, counts[i]);
  }
  out += "}";
  return out;
}

}  // namespace

LocalRunner::LocalRunner(EngineConfig cfg, scenario::Scenario scenario, Settings settings,
                         double now_s, double now_wall)
    : engine_(std::move(cfg), std::move(scenario), now_s, now_wall),
      settings_(settings),
      next_collect_(now_s + 1.0) {}

RunnerSnapshot LocalRunner::snapshot() const {
  snapshot_wanted_.store(true, std::memory_order_relaxed);
  RunnerSnapshot s{.state = state(),
                   .user_count = users_.load(std::memory_order_relaxed),
                   .target = target_.load(std::memory_order_relaxed),
                   .flag_users = flag_users_.load(std::memory_order_relaxed),
                   .flag_control = flag_control_.load(std::memory_order_relaxed),
                   .iterations_dropped = std::nullopt,
                   .stats = nullptr,
                   .exceptions = nullptr};
  // Thread-safe: the workers' relaxed counters.
  if (engine_.open_model()) s.iterations_dropped = engine_.iterations_dropped();
  std::lock_guard lock(snapshot_mu_);
  s.stats = snapshot_stats_;
  s.exceptions = snapshot_exceptions_;
  return s;
}

void LocalRunner::publish() {
  users_.store(engine_.alive(), std::memory_order_relaxed);
  target_.store(engine_.target(), std::memory_order_relaxed);
  flag_users_.store(engine_.flag_users(), std::memory_order_relaxed);
  flag_control_.store(engine_.target_from_flag(), std::memory_order_relaxed);
  state_.store(stopped_ ? RunState::kStopped : engine_.state(), std::memory_order_release);
}

void LocalRunner::publish_stats() {
  // A copy only when a controller asked: the headless mode never pays for one.
  if (!snapshot_wanted_.exchange(false, std::memory_order_relaxed)) return;
  auto copy = std::make_shared<const stats::Aggregate>(engine_.stats());
  auto exceptions = std::make_shared<const ExceptionCounts>(engine_.exceptions());
  std::lock_guard lock(snapshot_mu_);
  snapshot_stats_ = std::move(copy);
  snapshot_exceptions_ = std::move(exceptions);
}

void LocalRunner::apply(const Command& c, double now_s, double now_wall) {
  ++applied_;
  switch (c.kind) {
    case Command::Kind::kStart:
      start_or_change(c, now_s, now_wall);
      return;
    case Command::Kind::kSetUsers:
      if (shape_) return;                                // the shape sets the user count
      engine_.set_target(c.users, c.spawn_rate, now_s);  // ignored once stopping
      return;
    case Command::Kind::kStop:
      begin_stop(now_s);
      return;
    case Command::Kind::kKillNow:
      if (stop_give_up_) engine_.kill_all_now();
      return;
    case Command::Kind::kResetStats:
      engine_.reset_stats(now_wall);
      return;
    case Command::Kind::kQuit:
      quit_ = true;
      begin_stop(now_s);
      return;
    case Command::Kind::kSetClassCounts:
      set_class_counts(c, now_s, now_wall);
      return;
  }
}

bool LocalRunner::begin_run(const Command& c, double now_s, double now_wall) {
  if (quit_) return false;
  if (stop_give_up_ && !stopped_) {
    start_after_stop_ = c;  // the stop ends first (drive)
    return false;
  }
  if (stopped_) {
    new_run(now_s, now_wall);
  } else if (engine_.state() == RunState::kReady) {
    // Locust's clear_all at every start (a worker's at a run's first spawn): start_time is now.
    engine_.clear_stats(now_wall);
  }
  return true;
}

void LocalRunner::start_or_change(const Command& c, double now_s, double now_wall) {
  if (!begin_run(c, now_s, now_wall)) return;
  if (engine_.open_model()) {
    if (settings_.log && engine_.state() == RunState::kReady) {
      settings_.log->log(core::LogLevel::kInfo, "Starting the arrival-rate schedule");
    }
    engine_.start_arrivals(now_s);  // a start while running changes nothing
    return;
  }
  if (settings_.shape) {
    if (!shape_) {  // a start while a shape drives changes nothing (Locust's /swarm)
      shape_ = settings_.shape();
      shape_start_s_ = now_s;
      shape_applied_.reset();
      drive_shape(now_s);
    }
    return;
  }
  engine_.set_target(c.users, c.spawn_rate, now_s);
}

void LocalRunner::set_class_counts(const Command& c, double now_s, double now_wall) {
  if (engine_.open_model() || !begin_run(c, now_s, now_wall)) return;
  engine_.set_class_counts(c.class_counts, now_s);
}

void LocalRunner::drive_shape(double now_s) {
  const std::optional<plan::Target> t = shape_->tick(now_s - shape_start_s_);
  if (!t) {
    if (settings_.log) settings_.log->log(core::LogLevel::kInfo, "Shape test stopping");
    begin_stop(now_s);
    return;
  }
  if (shape_applied_ == t) return;
  shape_applied_ = t;
  if (settings_.log) {
    settings_.log->log(core::LogLevel::kInfo,
                       fmt::format("Shape test updating to {} users at {:.2f} spawn rate", t->users,
                                   t->spawn_rate));
  }
  engine_.set_target(t->users, t->spawn_rate, now_s);
}

void LocalRunner::new_run(double now_s, double now_wall) {
  engine_.rearm(now_s);
  engine_.clear_stats(now_wall);
  stopped_ = false;
  stop_give_up_.reset();
  reset_done_ = false;
  announced_ramp_ = engine_.ramp_generation();
  // Controllers see the cleared stats at once, not the old run's until the next collection.
  snapshot_wanted_.store(true, std::memory_order_relaxed);
  publish_stats();
}

void LocalRunner::begin_stop(double now_s) {
  shape_.reset();
  if (stop_give_up_ || stopped_) return;
  engine_.stop_all(now_s);
  const auto& grace = engine_.stop_timeout();
  const double grace_s = grace ? std::chrono::duration<double>(*grace).count() : 0.0;
  stop_give_up_ = now_s + grace_s + 5.0;  // killed users unwind within milliseconds
}

void LocalRunner::finish_stop(double now_s) {
  if (!engine_.idle() && settings_.log) {
    settings_.log->log(
        core::LogLevel::kWarning,
        fmt::format("{} users did not stop in time; abandoning them", engine_.alive()));
  }
  // The final collection waits for every worker within the stop bound (at least 2 s): a
  // worker busy at the last tick still hands over everything it counted.
  const auto final_wait = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::max(*stop_give_up_ - now_s, 2.0) * 1000.0));
  if (!engine_.collect(final_wait) && settings_.log) {
    settings_.log->log(core::LogLevel::kWarning,
                       fmt::format("a worker did not hand over its last stats within {} ms; "
                                   "they are missing from the reports",
                                   final_wait.count()));
  }
  stopped_ = true;
}

bool LocalRunner::drive(double now_s, double now_wall) {
  for (const Command& c : inbox_.take()) apply(c, now_s, now_wall);
  if (stopped_) {
    // The final stats for a controller that asks only after the stop (none asked since the
    // last collection: the stop published nothing).
    publish_stats();
    return false;
  }
  if (shape_ && !stop_give_up_) drive_shape(now_s);
  if (engine_.open_model() && !stop_give_up_ && engine_.arrivals_done()) {
    if (settings_.log) {
      settings_.log->log(core::LogLevel::kInfo, "The arrival-rate schedule ended; stopping");
    }
    begin_stop(now_s);
  }
  engine_.tick(now_s);
  if (stop_give_up_) {
    if (engine_.idle() || now_s >= *stop_give_up_) finish_stop(now_s);
    if (stopped_ && start_after_stop_) {
      const Command c = *start_after_stop_;
      start_after_stop_.reset();
      publish_stats();  // the old run's final figures, as after any stop
      if (c.kind == Command::Kind::kSetClassCounts) {
        set_class_counts(c, now_s, now_wall);
      } else {
        start_or_change(c, now_s, now_wall);
      }
      publish();
      return false;
    }
    publish();
    if (stopped_) publish_stats();
    return false;
  }
  if (engine_.state() == RunState::kRunning && announced_ramp_ != engine_.ramp_generation()) {
    // Like Locust, after every ramp (the first, and each change of the user count).
    announced_ramp_ = engine_.ramp_generation();
    if (settings_.log) {
      settings_.log->log(core::LogLevel::kInfo,
                         fmt::format("All users spawned: {} ({} total users)",
                                     classes_summary(engine_), engine_.spawned()));
    }
    // Starting thousands of users at once leaves their first requests' memory free in the
    // allocator; hand it back to the system once the ramp is over.
    trim_at_ = now_s + 1.0;
  }
  if (!reset_done_ && engine_.state() == RunState::kRunning) {
    reset_done_ = true;  // --reset-stats: once, when the first ramp completes (Locust)
    if (settings_.reset_stats_after_ramp) {
      if (settings_.log) settings_.log->log(core::LogLevel::kInfo, "Resetting stats");
      engine_.reset_stats(now_wall);
    }
  }
  if (trim_at_ && now_s >= *trim_at_) {
    trim_at_.reset();
    malloc_trim(0);
  }
  bool collected = false;
  if (now_s >= next_collect_) {
    // A worker that answers later is merged at the next tick: no need to hold the loop.
    engine_.collect(std::chrono::milliseconds(500));
    next_collect_ += 1.0;
    collected = true;
    publish_stats();
  }
  publish();
  return collected;
}

}  // namespace loadgen::engine
