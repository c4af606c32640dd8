// ErrorTable: failures counted by (method, name, error), Locust's RequestStats.errors, but with
// bounded cardinality. Used by a worker's Shard (deltas) and by the main thread's Aggregate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stats/keys.hpp"

namespace loadgen::stats {

struct ErrorRow {
  std::string method, name, error;
  std::uint64_t occurrences = 0;
};

// Beyond kMaxRows distinct keys, a new error folds into one row per (method, name) with error
// kOverflowError (those overflow rows may take the table slightly past kMaxRows; their number
// is bounded by the bounded request names). Locust's table is unbounded (locust.md §3).
class ErrorTable {
 public:
  static constexpr std::size_t kMaxRows = 1000;
  static constexpr std::string_view kOverflowError = "other errors (failures table full)";

  // Allocates only the first time a key is seen.
  void add(std::string_view method, std::string_view name, std::string_view error,
           std::uint64_t n = 1);
  void merge(const ErrorTable& other);
  // Sorted by occurrences descending, then (name, method, error) ascending.
  std::vector<ErrorRow> rows() const;
  std::uint64_t total() const { return total_; }
  bool empty() const { return rows_.empty(); }
  std::size_t size() const { return rows_.size(); }
  void clear();

 private:
  using Key = detail::Key<3>;  // method, name, error
  std::unordered_map<Key, std::uint64_t, detail::KeyHash<3>, detail::KeyEq<3>> rows_;
  std::uint64_t total_ = 0;
};

}  // namespace loadgen::stats
