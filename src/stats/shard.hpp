// Shard: one worker thread's request statistics since the last take(). Single-threaded, no
// locks: the worker records every request into it, and once a second takes a Snapshot (a delta)
// that it ships by message to the main thread's Aggregate (ARCHITECTURE.md "merge by message").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stats/entry.hpp"
#include "stats/errors.hpp"
#include "stats/keys.hpp"

namespace loadgen::stats {

// The "method" of the open model's iteration rows (docs/load-models.md): one row per task
// name, with the latency from each iteration's intended start. Like Locust's custom request
// types they are rows of their own; unlike them they stay out of the Aggregated total, which
// keeps counting requests only.
inline constexpr std::string_view kIterationMethod = "ITER";

struct Snapshot {  // a delta from one shard: only entries that saw requests since the last take
  std::vector<Entry> entries;
  ErrorTable errors;
};

class Shard {
 public:
  static constexpr std::string_view kOverflowName = "(other)";

  // Beyond max_names distinct (method, name) pairs, new names fold into name kOverflowName with
  // the same method (Locust caps request names; OTel's overflow attribute does the same).
  explicit Shard(std::size_t max_names = 1000);

  // Hot path, once per request. error empty = success; otherwise a failure, also counted in the
  // errors table. For an already-seen name it does not allocate (the histogram may grow once to
  // a new highest bucket; storage is kept across take()). trace_id: the request's exported
  // trace (null: untraced or unsampled); the slowest one since the last take is kept (a
  // compare and a 16-byte copy).
  void record(std::string_view method, std::string_view name, std::uint64_t response_time_us,
              std::uint64_t content_length, std::string_view error, double now_wall,
              const TraceIdBytes* trace_id = nullptr);

  // Copies out everything recorded since the last take and resets the shard in place, keeping
  // names and storage. Once a second on the worker thread; it allocates the snapshot.
  Snapshot take();

  std::size_t name_count() const { return entries_.size(); }

 private:
  Entry& entry_for(std::string_view method, std::string_view name);

  std::size_t max_names_;
  std::vector<Entry> entries_;
  std::size_t last_ = 0;  // index of the entry entry_for() found or made last
  std::unordered_map<detail::Key<2>, std::size_t, detail::KeyHash<2>, detail::KeyEq<2>> index_;
  ErrorTable errors_;
};

}  // namespace loadgen::stats
