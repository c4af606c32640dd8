// Dispatch: Locust 2.12's UsersDispatcher (dispatch.py) for a distributed run. Pure and
// clock-free: which worker runs how many users of which class, step by step, as the master
// ramps at a global spawn rate; recomputed from zero when a worker joins or leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/class_picker.hpp"

namespace loadgen::plan {

// The users each worker should run, per class: counts[worker][class], workers in the order
// they were given (not the dispatch order), classes in the order of the constructor's list.
using Distribution = std::vector<std::vector<std::int64_t>>;

class Dispatcher {
 public:
  // classes: weight and fixed_count of each user class (as ClassPicker). Worker ids are the
  // node ids ("host_uuid"); the part before the first '_' is the host in Locust's ordering.
  explicit Dispatcher(std::vector<ClassPicker::ClassInfo> classes);

  // Replaces the set of workers (a worker joined, left or went missing). The next step
  // starts from a distribution recomputed from zero over the new set for the users dispatched
  // so far (Locust _prepare_rebalance), so a missing worker's users move to the others.
  void set_workers(std::vector<std::string> worker_ids);
  const std::vector<std::string>& workers() const { return workers_; }

  // Starts a ramp from the users dispatched now to `target` at `spawn_rate` users/s (> 0).
  void new_dispatch(std::int64_t target, double spawn_rate);

  // The next step of the ramp: the absolute per-worker per-class counts after adding (or
  // removing, newest first) max(1, floor(spawn_rate)) users; nullopt when the ramp is done
  // (the target is reached). After a set_workers, the first call returns the rebalanced
  // distribution even when the ramp was done.
  std::optional<Distribution> next();
  // Seconds between two steps: max(1, floor(spawn_rate)) / spawn_rate.
  double step_interval_s() const;

  std::int64_t dispatched() const;  // users in the current distribution
  const Distribution& current() const { return current_; }

 private:
  // implementation-defined members
  std::vector<ClassPicker::ClassInfo> classes_;
  std::vector<std::string> workers_;
  Distribution current_;
  std::int64_t target_ = 0;
  double rate_ = 1;
  bool rebalance_ = false;
};

}  // namespace loadgen::plan
