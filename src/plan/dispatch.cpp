#include "plan/dispatch.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace loadgen::plan {
namespace {

constexpr std::uint64_t kMaxCycle = std::uint64_t{1} << 22;
constexpr std::uint64_t kMaxCycleWork = std::uint64_t{1} << 28;  // cycle length x classes in it
constexpr std::size_t kMaxClasses = 65535;

// Locust's infinite_cycle_gen weights: round(2 * v / min(v)) (Python's round: half to even,
// on the double quotient, as std::nearbyint in the default rounding mode), reduced by their
// gcd: smooth weighted round robin with every weight times k picks the same classes, so the
// cycle of length sum is the reduced cycle repeated k times.
std::vector<std::uint64_t> normalized(const std::vector<std::uint64_t>& values) {
  if (values.empty()) return {};
  const std::uint64_t min_v = *std::min_element(values.begin(), values.end());
  std::vector<std::uint64_t> out;
  out.reserve(values.size());
  std::uint64_t g = 0;
  for (const std::uint64_t v : values) {
    const double q = 2.0 * static_cast<double>(v) / static_cast<double>(min_v);
    const auto n = static_cast<std::uint64_t>(std::nearbyint(q));
    out.push_back(n);
    g = std::gcd(g, n);
  }
  for (auto& n : out) n /= g;
  return out;
}

std::uint64_t sum_of(const std::vector<std::uint64_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

// nginx's smooth weighted round robin (roundrobin.smooth): every pick adds each weight to its
// current value, takes the first largest and subtracts the total from it.
std::vector<std::uint16_t> smooth_cycle(const std::vector<std::size_t>& classes,
                                        const std::vector<std::uint64_t>& weights) {
  const std::uint64_t total = sum_of(weights);
  std::vector<std::uint16_t> seq;
  seq.reserve(total);
  std::vector<std::int64_t> cur(classes.size(), 0);
  for (std::uint64_t n = 0; n < total; ++n) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < classes.size(); ++i) {
      cur[i] += static_cast<std::int64_t>(weights[i]);
      if (cur[i] > cur[best]) best = i;
    }
    cur[best] -= static_cast<std::int64_t>(total);
    seq.push_back(static_cast<std::uint16_t>(classes[best]));
  }
  return seq;
}

bool is_fixed(const ClassPicker::ClassInfo& c) { return c.fixed_count > 0; }
bool is_weighted(const ClassPicker::ClassInfo& c) { return c.fixed_count == 0 && c.weight > 0; }

std::string_view host_of(const std::string& id) {
  const auto p = id.find('_');
  return p == std::string::npos ? std::string_view(id) : std::string_view(id).substr(0, p);
}

// Locust _sort_workers: by id; number the workers of each host in that order; then by
// (index within host, id), so consecutive users land on different hosts.
std::vector<std::string> locust_order(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  std::unordered_map<std::string, std::size_t> per_host;
  std::vector<std::pair<std::size_t, std::string>> keyed;
  keyed.reserve(ids.size());
  for (auto& id : ids) {
    const std::size_t index = per_host[std::string(host_of(id))]++;
    keyed.emplace_back(index, std::move(id));
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> out;
  out.reserve(keyed.size());
  for (auto& k : keyed) out.push_back(std::move(k.second));
  return out;
}

std::uint64_t mod_add(std::uint64_t a, std::uint64_t b, std::uint64_t m) { return (a + b % m) % m; }

}  // namespace

core::Status Dispatcher::check_classes(const std::vector<ClassPicker::ClassInfo>& classes) {
  if (classes.size() > kMaxClasses) {
    return core::make_error("bad_value", std::to_string(classes.size()) + " user classes",
                            "a distributed run takes at most 65,535 user classes");
  }
  std::vector<std::uint64_t> weights, fixed;
  for (const auto& c : classes) {
    if (is_fixed(c)) fixed.push_back(c.fixed_count);
    if (is_weighted(c)) weights.push_back(c.weight);
  }
  for (const auto* v : {&weights, &fixed}) {
    const std::uint64_t len = sum_of(normalized(*v));
    if (len > kMaxCycle || len * v->size() > kMaxCycleWork) {
      return core::make_error("bad_value",
                              std::string("user class ") +
                                  (v == &fixed ? "fixed counts" : "weights") +
                                  " too far apart: the weighted round-robin cycle would be " +
                                  std::to_string(len) + " users long",
                              "keep the largest within about a million times the smallest");
    }
  }
  return core::Ok{};
}

Dispatcher::Dispatcher(std::vector<ClassPicker::ClassInfo> classes)
    : classes_(std::move(classes)), nclasses_(classes_.size()) {
  std::vector<std::size_t> order(nclasses_);
  std::iota(order.begin(), order.end(), std::size_t{0});
  build_cycles(order);
}

Dispatcher::Dispatcher(std::vector<ClassPicker::ClassInfo> classes,
                       const std::vector<std::string>& names)
    : classes_(std::move(classes)), nclasses_(classes_.size()) {
  assert(names.size() == nclasses_);
  std::vector<std::size_t> order(nclasses_);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  build_cycles(order);
}

void Dispatcher::build_cycles(const std::vector<std::size_t>& algo_order) {
  assert(check_classes(classes_).ok());
  std::vector<std::size_t> wcls, fcls;
  std::vector<std::uint64_t> wval, fval;
  for (const std::size_t i : algo_order) {
    if (is_fixed(classes_[i])) {
      fcls.push_back(i);
      fval.push_back(classes_[i].fixed_count);
    } else if (is_weighted(classes_[i])) {
      wcls.push_back(i);
      wval.push_back(classes_[i].weight);
    }
  }
  wseq_ = smooth_cycle(wcls, normalized(wval));
  fseq_ = smooth_cycle(fcls, normalized(fval));
  nfixed_ = fcls.size();
  fixed_total_.assign(nclasses_, 0);
  loop_counts_.assign(nclasses_, 0);
  spawned_.assign(nclasses_, 0);
}

void Dispatcher::reset_generators() {
  pw_ = pc_ = pf_ = 0;
  gen_at_ = GenAt::kTop;
  std::fill(loop_counts_.begin(), loop_counts_.end(), 0);
  std::fill(spawned_.begin(), spawned_.end(), 0);
  nspawned_ = 0;
}

void Dispatcher::set_workers(std::vector<std::string> worker_ids) {
  assert(std::unordered_set<std::string>(worker_ids.begin(), worker_ids.end()).size() ==
         worker_ids.size());
  if (!started_) {
    workers_ = std::move(worker_ids);
    order_ = locust_order(workers_);
    reindex();
    rebuild_residues();
    cnt_.assign(order_.size() * nclasses_, 0);
    materialize();
    return;
  }
  const std::unordered_set<std::string> now(worker_ids.begin(), worker_ids.end());
  const std::unordered_set<std::string> before(order_.begin(), order_.end());
  bool added = false;
  for (const auto& id : worker_ids) added = added || before.count(id) == 0;
  bool removed = false;
  for (const auto& id : order_) removed = removed || now.count(id) == 0;
  workers_ = std::move(worker_ids);
  if (!added && !removed) {
    reindex();
    materialize();
    return;
  }
  // Locust: remove_worker filters the sorted list; add_worker sorts everything afresh.
  if (added) {
    order_ = locust_order(workers_);
  } else {
    std::erase_if(order_, [&](const std::string& id) { return now.count(id) == 0; });
  }
  reindex();
  if (order_.empty()) {
    // Locust's remove_worker returns before rebalancing when no worker is left; the users
    // dispatched so far are rebalanced when one comes back.
    cnt_.clear();
    runs_.clear();
    std::fill(fixed_total_.begin(), fixed_total_.end(), 0);
    materialize();
    return;
  }
  rebalance();
}

void Dispatcher::reindex() {
  std::unordered_map<std::string_view, std::size_t> given;
  for (std::size_t i = 0; i < workers_.size(); ++i) given[workers_[i]] = i;
  given_of_.resize(order_.size());
  for (std::size_t d = 0; d < order_.size(); ++d) given_of_[d] = given.at(order_[d]);
}

void Dispatcher::materialize() {
  current_.assign(workers_.size(), std::vector<std::int64_t>(nclasses_, 0));
  if (cnt_.empty()) return;
  for (std::size_t d = 0; d < order_.size(); ++d) {
    auto& row = current_[given_of_[d]];
    std::copy_n(cnt_.begin() + static_cast<std::ptrdiff_t>(d * nclasses_), nclasses_, row.begin());
  }
}

void Dispatcher::rebuild_residues() {
  const std::uint64_t w = order_.size();
  const std::uint64_t p = wseq_.size();
  if (w == 0 || p == 0) return;
  const std::uint64_t g = std::gcd(w, p);
  if (g == residue_g_) return;
  residue_g_ = g;
  residues_.assign(g * nclasses_, 0);
  for (std::uint64_t r = 0; r < p; ++r) ++residues_[(r % g) * nclasses_ + wseq_[r]];
}

// Locust _prepare_rebalance: the users dispatched so far, dispatched again from zero over the
// new workers with fresh class and worker cycles.
void Dispatcher::rebalance() {
  rebuild_residues();
  cnt_.assign(order_.size() * nclasses_, 0);
  std::fill(fixed_total_.begin(), fixed_total_.end(), 0);
  runs_.clear();
  try_fixed_ = true;
  reset_generators();
  const std::int64_t n = count_;
  count_ = 0;
  add_users(n);
  rebalance_ = true;
  materialize();
}

void Dispatcher::new_dispatch(std::int64_t target, double spawn_rate) {
  assert(spawn_rate > 0);
  started_ = true;
  target_ = std::max<std::int64_t>(0, target);
  rate_ = spawn_rate;
  const double per = std::floor(spawn_rate);
  per_step_ = per >= 0x1p62 ? (std::int64_t{1} << 62)
                            : std::max<std::int64_t>(1, static_cast<std::int64_t>(per));
  step_ = Step::kNew;
}

double Dispatcher::step_interval_s() const { return std::max(1.0, std::floor(rate_)) / rate_; }

std::int64_t Dispatcher::dispatched() const { return count_; }

// Locust's _dispatcher generator, resumed where it was suspended.
std::optional<Distribution> Dispatcher::next() {
  if (!started_ || order_.empty()) return std::nullopt;
  for (;;) {
    switch (step_) {
      case Step::kNew:
        if (rebalance_) {
          rebalance_ = false;
          step_ = Step::kAfterStartRebalance;
          return current_;
        }
        if (count_ == target_) {
          step_ = Step::kAfterInitial;
          return current_;
        }
        step_ = Step::kUpCond;
        break;
      case Step::kAfterStartRebalance:
        step_ = count_ == target_ ? Step::kEnd : Step::kUpCond;
        break;
      case Step::kAfterInitial:
        step_ = Step::kEnd;
        break;
      case Step::kUpCond:
        if (count_ < target_) {
          add_step();
          step_ = Step::kAfterAdd;
          return current_;
        }
        step_ = Step::kDownCond;
        break;
      case Step::kAfterAdd:
        if (rebalance_) {
          rebalance_ = false;
          step_ = Step::kAfterAddRebalance;
          return current_;
        }
        step_ = Step::kAfterAddRebalance;
        break;
      case Step::kAfterAddRebalance:
        if (no_user_) {
          no_user_ = false;
          step_ = Step::kDownCond;
        } else {
          step_ = Step::kUpCond;
        }
        break;
      case Step::kDownCond:
        if (count_ > target_) {
          remove_step();
          step_ = Step::kAfterRemove;
          return current_;
        }
        step_ = Step::kEnd;
        break;
      case Step::kAfterRemove:
        step_ = Step::kAfterRemoveRebalance;
        if (rebalance_) {
          rebalance_ = false;
          return current_;
        }
        break;
      case Step::kAfterRemoveRebalance:
        step_ = Step::kDownCond;
        break;
      case Step::kEnd:
        // Locust's master calls start() again after a worker change once the ramp is over:
        // a new dispatch to the same target, whose first step is the rebalanced distribution.
        if (!rebalance_) return std::nullopt;
        step_ = Step::kNew;
        break;
    }
  }
}

void Dispatcher::add_step() {
  const std::int64_t n = std::min(per_step_, target_ - count_);
  if (!add_users(n)) no_user_ = true;
  materialize();
}

void Dispatcher::remove_step() {
  // Locust pops at least one user, then until the count is at most max(count - step, target).
  const std::int64_t floor_count = std::max(count_ - per_step_, target_);
  pop_users(std::max<std::int64_t>(1, count_ - std::max<std::int64_t>(0, floor_count)));
  materialize();
}

void Dispatcher::mark_spawned(std::size_t cls) {
  if (spawned_[cls] == 0) {
    spawned_[cls] = 1;
    ++nspawned_;
  }
}

Dispatcher::Pick Dispatcher::weighted_pick() {
  if (wseq_.empty()) return {};
  const std::uint64_t at = pc_;
  pc_ = (pc_ + 1) % wseq_.size();
  return {Pick::Kind::kWeighted, at};
}

// Locust's _user_gen, one user (or None) per call.
Dispatcher::Pick Dispatcher::next_user() {
  if (gen_at_ == GenAt::kTop && !try_fixed_) return weighted_pick();
  // Entering the fixed loop, or resuming it after a fixed user: after a removal
  // (_try_dispatch_fixed), the counts are taken afresh and every class is pending again.
  if (try_fixed_) {
    try_fixed_ = false;
    std::copy(fixed_total_.begin(), fixed_total_.end(), loop_counts_.begin());
    std::fill(spawned_.begin(), spawned_.end(), 0);
    nspawned_ = 0;
  }
  while (nspawned_ != nfixed_) {
    const std::size_t c = fseq_[pf_];
    pf_ = (pf_ + 1) % fseq_.size();
    if (loop_counts_[c] < classes_[c].fixed_count) {
      if (++loop_counts_[c] == classes_[c].fixed_count) mark_spawned(c);
      gen_at_ = GenAt::kFixedResume;
      return {Pick::Kind::kFixed, c};
    }
    // A class found full is done (Locust 2.12 keeps looking for it forever).
    mark_spawned(c);
  }
  gen_at_ = GenAt::kTop;
  return weighted_pick();
}

bool Dispatcher::add_users(std::int64_t n) {
  const std::uint64_t w = order_.size();
  while (n > 0) {
    if (gen_at_ == GenAt::kTop && !try_fixed_) {
      // Only weighted users from here on: one run for all of them.
      if (wseq_.empty()) return false;
      push_run({pw_, pc_, n, false});
      pw_ = mod_add(pw_, static_cast<std::uint64_t>(n), w);
      pc_ = mod_add(pc_, static_cast<std::uint64_t>(n), wseq_.size());
      return true;
    }
    const Pick p = next_user();
    if (p.kind == Pick::Kind::kNone) return false;
    push_run({pw_, p.cpos, 1, p.kind == Pick::Kind::kFixed});
    pw_ = (pw_ + 1) % w;
    --n;
  }
  return true;
}

void Dispatcher::push_run(const Run& r) {
  apply(r, 1);
  count_ += r.len;
  if (r.fixed) fixed_total_[r.cpos] += r.len;
  if (!runs_.empty()) {
    Run& top = runs_.back();
    const auto len = static_cast<std::uint64_t>(top.len);
    if (top.fixed == r.fixed && mod_add(top.wpos, len, order_.size()) == r.wpos &&
        (r.fixed ? top.cpos == r.cpos : mod_add(top.cpos, len, wseq_.size()) == r.cpos)) {
      top.len += r.len;
      return;
    }
  }
  runs_.push_back(r);
}

// Locust _remove_users_from_workers: the newest users first (its _active_users.pop()).
void Dispatcher::pop_users(std::int64_t n) {
  while (n > 0 && !runs_.empty()) {
    Run& top = runs_.back();
    const std::int64_t m = std::min(n, top.len);
    const auto keep = static_cast<std::uint64_t>(top.len - m);
    Run tail{mod_add(top.wpos, keep, order_.size()),
             top.fixed ? top.cpos : mod_add(top.cpos, keep, wseq_.size()), m, top.fixed};
    apply(tail, -1);
    count_ -= m;
    if (top.fixed) fixed_total_[top.cpos] -= m;
    top.len -= m;
    if (top.len == 0) runs_.pop_back();
    n -= m;
    try_fixed_ = true;
  }
}

// Adds sign x the run's users to cnt_. A fixed run: whole turns of the worker cycle, then the
// rest. A weighted run: the pair (worker, cycle position) repeats every L = lcm(W, P) users,
// and one period holds each pair with worker - position = wpos - cpos (mod gcd(W, P)) once, so
// a worker d gets, per period, residues_[(d - wpos + cpos) mod g] users of each class; the
// remainder (< L users) is counted one by one.
void Dispatcher::apply(const Run& r, std::int64_t sign) {
  const std::uint64_t w = order_.size();
  const std::size_t nc = nclasses_;
  auto len = static_cast<std::uint64_t>(r.len);
  if (r.fixed) {
    const auto q = static_cast<std::int64_t>(len / w);
    if (q > 0) {
      for (std::uint64_t d = 0; d < w; ++d) cnt_[d * nc + r.cpos] += sign * q;
    }
    std::uint64_t d = r.wpos;
    for (std::uint64_t i = len % w; i > 0; --i) {
      cnt_[d * nc + r.cpos] += sign;
      if (++d == w) d = 0;
    }
    return;
  }
  const std::uint64_t p = wseq_.size();
  const std::uint64_t g = residue_g_;
  const std::uint64_t period = w / g * p;
  const auto q = static_cast<std::int64_t>(len / period);
  if (q > 0) {
    std::uint64_t x = (r.cpos % g + g - r.wpos % g) % g;  // for worker 0
    for (std::uint64_t d = 0; d < w; ++d) {
      const std::int64_t* h = &residues_[x * nc];
      std::int64_t* row = &cnt_[d * nc];
      for (std::size_t c = 0; c < nc; ++c) row[c] += sign * q * h[c];
      if (++x == g) x = 0;
    }
    len %= period;
  }
  std::uint64_t d = r.wpos;
  std::uint64_t c = r.cpos;
  for (; len > 0; --len) {
    cnt_[d * nc + wseq_[c]] += sign;
    if (++d == w) d = 0;
    if (++c == p) c = 0;
  }
}

}  // namespace loadgen::plan
