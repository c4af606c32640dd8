// Shard::record must not allocate in steady state for an already-seen name (ARCHITECTURE.md:
// nothing on the request path allocates per request). Counts global operator new calls.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "stats/shard.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC sees these replacements inlined next to `new` and reports a mismatch that is not one
// (operator new here is malloc-based too).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace loadgen::stats {
namespace {

TEST(ShardAllocation, RecordDoesNotAllocateForSeenNames) {
  Shard shard;
  const std::string long_name = "/api/products/" + std::string(100, 'p');  // beyond SSO
  // Warm up: names, the histogram's highest bucket, per-second slots and the error row.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 1000; ++i) {
      shard.record("GET", long_name, 60'000'000, 100, "", 100.0 + round);
      shard.record("POST", "/cart", static_cast<std::uint64_t>(i), 0, "", 100.5 + round);
    }
    (void)shard.take();
  }
  // The error rows exist once this interval saw them (the table moves out on take()).
  shard.record("GET", long_name, 5'000, 100, "HTTPError('503')", 102.0);
  shard.record("POST", "/cart", 5'000, 100, "HTTPError('503')", 102.0);
  const long before = g_allocations.load();
  for (int i = 0; i < 100'000; ++i) {
    const double now = 102.0 + i * 1e-5;  // crosses into a second second
    shard.record("GET", long_name, static_cast<std::uint64_t>(i % 50'000'000), 100, "", now);
    shard.record("POST", "/cart", 300, 0, i % 10 == 0 ? "HTTPError('503')" : "", now);
  }
  const long during = g_allocations.load() - before;
  EXPECT_EQ(during, 0);
}

}  // namespace
}  // namespace loadgen::stats
