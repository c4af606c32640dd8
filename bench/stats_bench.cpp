// Micro-benchmark of the stats hot path: Shard::record (once per HTTP request) in ns/record, and
// beside it the same work done Locust's way (StatsEntry.log: dict lookups and a rounded-key
// response-time dict, stats.py L350-405) in C++ with std containers, as the peer figure.
// Prints figures only; asserts nothing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "stats/aggregate.hpp"
#include "stats/shard.hpp"

namespace {

using loadgen::stats::Aggregate;
using loadgen::stats::Shard;

std::vector<std::uint64_t> latencies() {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(std::log(20'000.0), 0.8);
  std::vector<std::uint64_t> v(4096);
  for (auto& x : v) x = static_cast<std::uint64_t>(d(rng));
  return v;
}

std::vector<std::string> names(std::size_t n) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back("/api/products/" + std::to_string(i * 7919));
  return v;
}

void BM_ShardRecord(benchmark::State& state) {
  const auto lat = latencies();
  const auto nm = names(static_cast<std::size_t>(state.range(0)));
  Shard shard;
  std::size_t i = 0;
  double now = 1'700'000'000.0;
  for (auto _ : state) {
    shard.record("GET", nm[i % nm.size()], lat[i & 4095], 1234, "", now);
    ++i;
    now += 1e-6;
    if ((i & 0xFFFFF) == 0) benchmark::DoNotOptimize(shard.take());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}
BENCHMARK(BM_ShardRecord)->Arg(1)->Arg(20)->Arg(1000);

void BM_ShardRecordWithFailures(benchmark::State& state) {
  const auto lat = latencies();
  Shard shard;
  std::size_t i = 0;
  for (auto _ : state) {
    shard.record("POST", "/api/cart", lat[i & 4095], 0,
                 (i & 3) == 0 ? "HTTPError('500 Server Error')" : "", 1'700'000'000.0);
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}
BENCHMARK(BM_ShardRecordWithFailures);

// Peer: Locust's algorithm with std containers (entries dict keyed by (name, method), response
// times rounded to 2 significant digits in an ordered dict, per-second dict).
struct LocustStyleEntry {
  std::uint64_t num_requests = 0, total_rt = 0, min_rt = UINT64_MAX, max_rt = 0, content = 0;
  std::map<std::int64_t, std::uint64_t> response_times;
  std::map<std::int64_t, std::uint64_t> reqs_per_sec;
};

void BM_LocustStyleRecord(benchmark::State& state) {
  const auto lat = latencies();
  const auto nm = names(static_cast<std::size_t>(state.range(0)));
  std::map<std::pair<std::string, std::string>, LocustStyleEntry> entries;
  std::size_t i = 0;
  for (auto _ : state) {
    auto& e = entries[{nm[i % nm.size()], "GET"}];  // builds the key strings, like Python
    const auto ms = static_cast<std::int64_t>(lat[i & 4095] / 1000);
    const std::int64_t rounded = ms < 100     ? ms
                                 : ms < 1000  ? (ms + 5) / 10 * 10
                                 : ms < 10000 ? (ms + 50) / 100 * 100
                                              : (ms + 500) / 1000 * 1000;
    ++e.num_requests;
    e.total_rt += lat[i & 4095];
    e.min_rt = std::min<std::uint64_t>(e.min_rt, lat[i & 4095]);
    e.max_rt = std::max<std::uint64_t>(e.max_rt, lat[i & 4095]);
    e.content += 1234;
    ++e.response_times[rounded];
    ++e.reqs_per_sec[1'700'000'000];
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}
BENCHMARK(BM_LocustStyleRecord)->Arg(1)->Arg(20)->Arg(1000);

// Main thread: merging one second's delta of 20 names into the aggregate.
void BM_AggregateMerge(benchmark::State& state) {
  const auto lat = latencies();
  const auto nm = names(20);
  Shard shard;
  Aggregate agg(1'700'000'000.0);
  double now = 1'700'000'000.0;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::size_t i = 0; i < 5000; ++i)
      shard.record("GET", nm[i % 20], lat[i & 4095], 1, "", now);
    auto delta = shard.take();
    now += 1.0;
    state.ResumeTiming();
    agg.merge(std::move(delta));
  }
}
BENCHMARK(BM_AggregateMerge);

}  // namespace

BENCHMARK_MAIN();
