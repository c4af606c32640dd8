// Dispatch: Locust 2.12's UsersDispatcher (dispatch.py) for a distributed run. Pure and
// clock-free: which worker runs how many users of which class, step by step, as the master
// ramps at a global spawn rate; recomputed from zero when a worker joins or leaves.
//
// Same steps as Locust (checked step by step against locust.dispatch.UsersDispatcher by
// tests/integration/test_dispatch_locust.py), but not per user: the active users are kept as
// runs of consecutive dispatches (a run = start worker, start position in the class cycle,
// length), and a run's per-worker per-class counts are computed arithmetically over whole
// lcm(workers, cycle) periods plus a remainder shorter than one period. Memory is O(workers x
// classes + cycle + runs), never O(users); runs grow only when a ramp turns around or a
// fixed_count user is dispatched.
//
// One deliberate difference: Locust 2.12 loops forever in _user_gen when a ramp-up follows a
// ramp-down while every fixed_count class is still full (a fixed class already at its count is
// never marked done). Here such a class counts as done, which is what 2.12 does in every case
// where it terminates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "plan/class_picker.hpp"

namespace loadgen::plan {

// The users each worker should run, per class: counts[worker][class], workers in the order
// they were given (not the dispatch order), classes in the order of the constructor's list.
using Distribution = std::vector<std::vector<std::int64_t>>;

class Dispatcher {
 public:
  // classes: weight and fixed_count of each user class (as ClassPicker). Worker ids are the
  // node ids ("host_uuid"); the part before the first '_' is the host in Locust's ordering.
  // The class cycle follows the list's order (Locust sorts its classes by name: pass them
  // sorted, or use the overload with names). Classes with weight 0 and no fixed_count never
  // get users (Locust divides by that zero). check_classes() must accept `classes`.
  explicit Dispatcher(std::vector<ClassPicker::ClassInfo> classes);
  // As above; the cycles follow the classes sorted by name, as Locust's (names are unique).
  // Distributions keep the order of `classes`.
  Dispatcher(std::vector<ClassPicker::ClassInfo> classes, const std::vector<std::string>& names);

  // Whether the classes can be dispatched: at most 65,535 classes, and the smooth weighted
  // round-robin cycles (sum of round(2*w/min_w), reduced by their gcd) at most 2^22 long.
  static core::Status check_classes(const std::vector<ClassPicker::ClassInfo>& classes);

  // Replaces the set of workers (a worker joined, left or went missing). The next step
  // starts from a distribution recomputed from zero over the new set for the users dispatched
  // so far (Locust _prepare_rebalance), so a missing worker's users move to the others.
  // Before the first new_dispatch it only sets the workers (Locust builds its dispatcher at the
  // first start, with the workers of that moment, and drops it at stop: a new run after a stop
  // takes a new Dispatcher). Ids are unique. Locust's order: a set with a
  // new worker is sorted afresh; removals alone keep the previous order (removals apply first).
  // The same set in another order only re-indexes the distributions. An empty set leaves no one
  // to dispatch to: next() returns nullopt until workers come back (then a rebalance).
  void set_workers(std::vector<std::string> worker_ids);
  const std::vector<std::string>& workers() const { return workers_; }
  // The workers in Locust's dispatch order (users go to them round-robin in this order).
  const std::vector<std::string>& dispatch_order() const { return order_; }

  // Starts a ramp from the users dispatched now to `target` at `spawn_rate` users/s (> 0).
  void new_dispatch(std::int64_t target, double spawn_rate);

  // The next step of the ramp: the absolute per-worker per-class counts after adding (or
  // removing, newest first) max(1, floor(spawn_rate)) users; nullopt when the ramp is done
  // (the target is reached). After a set_workers, the first call returns the rebalanced
  // distribution even when the ramp was done. As Locust: a new_dispatch to the count already
  // dispatched yields that distribution once; a ramp that can spawn no more users (only
  // fixed_count classes, all full) yields its last step and ends short of the target.
  std::optional<Distribution> next();
  // Seconds between two steps: max(1, floor(spawn_rate)) / spawn_rate.
  double step_interval_s() const;

  std::int64_t dispatched() const;  // users in the current distribution
  const Distribution& current() const { return current_; }
  std::int64_t target() const { return target_; }

 private:
  // A run of consecutively dispatched users, newest last in runs_: user i of the run is on
  // order_[(wpos + i) % W] with class wseq_[(cpos + i) % P] (weighted) or class `cls` (fixed).
  struct Run {
    std::uint64_t wpos = 0;
    std::uint64_t cpos = 0;  // weighted: position in wseq_; fixed: the class index
    std::int64_t len = 0;
    bool fixed = false;
  };
  struct Pick {
    enum class Kind : std::uint8_t { kNone, kFixed, kWeighted } kind = Kind::kNone;
    std::uint64_t cpos = 0;  // weighted: position in wseq_; fixed: the class index
  };
  // Where Locust's _dispatcher generator is suspended.
  enum class Step : std::uint8_t {
    kNew,
    kAfterStartRebalance,
    kAfterInitial,
    kUpCond,
    kAfterAdd,
    kAfterAddRebalance,
    kDownCond,
    kAfterRemove,
    kAfterRemoveRebalance,
    kEnd,
  };
  // Where Locust's _user_gen generator is suspended.
  enum class GenAt : std::uint8_t { kTop, kFixedResume };

  void build_cycles(const std::vector<std::size_t>& algo_order);
  void reset_generators();
  void rebalance();
  void reindex();
  void materialize();
  void rebuild_residues();
  Pick next_user();
  Pick weighted_pick();
  void mark_spawned(std::size_t cls);
  // Dispatches up to n users (fewer when no class can take one); returns false on None.
  bool add_users(std::int64_t n);
  void pop_users(std::int64_t n);
  void push_run(const Run& r);
  void apply(const Run& r, std::int64_t sign);
  void add_step();
  void remove_step();

  std::vector<ClassPicker::ClassInfo> classes_;
  std::size_t nclasses_ = 0;
  std::vector<std::uint16_t> wseq_;  // the weighted cycle (class indices)
  std::vector<std::uint16_t> fseq_;  // the fixed_count cycle
  std::size_t nfixed_ = 0;
  std::uint64_t residue_g_ = 0;         // gcd(W, P) that residues_ was built for
  std::vector<std::int64_t> residues_;  // [x * C + c]: r in [0,P), r % g == x, wseq_[r] == c

  std::vector<std::string> workers_;   // as given
  std::vector<std::string> order_;     // Locust's dispatch order
  std::vector<std::size_t> given_of_;  // dispatch index -> index in workers_
  std::vector<std::int64_t> cnt_;      // [dispatch index * C + class]
  std::vector<std::int64_t> fixed_total_;
  std::int64_t count_ = 0;
  std::vector<Run> runs_;

  std::uint64_t pw_ = 0, pc_ = 0, pf_ = 0;  // worker, weighted and fixed cycle positions
  GenAt gen_at_ = GenAt::kTop;
  bool try_fixed_ = true;
  std::vector<std::int64_t> loop_counts_;
  std::vector<char> spawned_;
  std::size_t nspawned_ = 0;

  Step step_ = Step::kEnd;
  bool started_ = false;
  bool rebalance_ = false;
  bool no_user_ = false;
  std::int64_t target_ = 0;
  double rate_ = 1;
  std::int64_t per_step_ = 1;
  Distribution current_;
};

}  // namespace loadgen::plan
