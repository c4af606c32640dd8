// Shard: per-worker recording and delta snapshots (see shard.hpp).
#include "stats/shard.hpp"

#include <string>

namespace loadgen::stats {
namespace {
constexpr std::size_t kSecondsPerTake = 4;
constexpr std::uint64_t kReserveUpToUs = 1'000'000;
}  // namespace

Shard::Shard(std::size_t max_names) : max_names_(max_names) {}

Entry& Shard::entry_for(std::string_view method, std::string_view name) {
  // The name recorded last is the likeliest one now (a user looping over one request): two
  // compares instead of hashing.
  if (last_ < entries_.size()) {
    Entry& e = entries_[last_];
    if (e.name == name && e.method == method) return e;
  }
  detail::KeyView<2> view{{method, name}};
  if (auto it = index_.find(view); it != index_.end()) {
    last_ = it->second;
    return entries_[it->second];
  }
  if (entries_.size() >= max_names_) {
    view.parts[1] = kOverflowName;
    if (auto it = index_.find(view); it != index_.end()) return entries_[it->second];
  }
  last_ = entries_.size();
  index_.emplace(detail::Key<2>(view), entries_.size());
  Entry& e = entries_.emplace_back();
  e.method = std::string(view.parts[0]);
  e.name = std::string(view.parts[1]);
  // A take() interval (~1 s) spans two or three epoch seconds; reserve so record() never grows.
  e.reqs_per_sec.reserve(kSecondsPerTake);
  e.fails_per_sec.reserve(kSecondsPerTake);
  // Room up to 1 s (7.5 KiB): a new slowest request does not allocate on the request path.
  e.histogram.reserve_up_to(kReserveUpToUs);
  return e;
}

void Shard::record(std::string_view method, std::string_view name, std::uint64_t response_time_us,
                   std::uint64_t content_length, std::string_view error, double now_wall,
                   const TraceIdBytes* trace_id) {
  Entry& e = entry_for(method, name);
  e.log(response_time_us, content_length, now_wall);
  if (trace_id != nullptr &&
      (!e.slow_trace.known() || response_time_us > e.slow_trace.response_time_us)) {
    e.slow_trace = SlowTrace{*trace_id, response_time_us, now_wall};
  }
  if (!error.empty()) {
    e.log_error(now_wall);
    errors_.add(e.method, e.name, error);
  }
}

Snapshot Shard::take() {
  Snapshot snap;
  std::size_t active = 0;
  for (const Entry& e : entries_) active += (e.num_requests != 0 || e.num_failures != 0) ? 1 : 0;
  snap.entries.reserve(active);
  for (Entry& e : entries_) {
    if (e.num_requests == 0 && e.num_failures == 0) continue;
    snap.entries.push_back(e);  // copies only the used part of the histogram
    e.reset(0);                 // start_time comes from the next sample
  }
  snap.errors = std::move(errors_);
  errors_.clear();
  return snap;
}

}  // namespace loadgen::stats
