// Micro-benchmark of the distributed protocol's cost (issue 13, docs/distributed.md "Scale"):
// a worker's stats report at 500 request names (bytes, encode time), and the master's side of
// it (decode, then merge into its Aggregate), plus a heartbeat. bench/cluster-cost runs it
// beside Locust 2.12's own figures for the same report (python3-locust, measured in the same
// run). Prints figures only; asserts nothing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cluster/message.hpp"
#include "stats/aggregate.hpp"
#include "stats/shard.hpp"

namespace {

using loadgen::cluster::Message;
using loadgen::cluster::MessageType;

// A report as a worker sends it every 3 s: `names` request names, each with `per_name`
// requests of log-normal latencies spread over the 3 s, 1 % failures.
// locust_buckets: true is what a loadgen worker sends a Locust master (Locust's buckets
// only), false what it sends a loadgen master (its exact histogram only).
Message stats_report(std::size_t names, std::size_t per_name, bool locust_buckets = true) {
  loadgen::stats::Shard shard(names + 1);
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lat(std::log(40'000.0), 0.9);
  const double t0 = 1'765'000'000.0;
  for (std::size_t n = 0; n < names; ++n) {
    const std::string name = "/api/products/" + std::to_string(n * 7919);
    for (std::size_t i = 0; i < per_name; ++i) {
      const bool fail = (i % 100) == 0;
      shard.record("GET", name, static_cast<std::uint64_t>(lat(rng)), 1234,
                   fail ? "http_status: 503 Service Unavailable" : "",
                   t0 + 3.0 * static_cast<double>(i) / static_cast<double>(per_name));
    }
  }
  loadgen::cluster::StatsReport r;
  r.delta = shard.take();
  loadgen::stats::Entry total;
  total.name = "Aggregated";
  for (const auto& e : r.delta.entries) total.merge(e);
  r.total = total;
  r.user_classes_count = {{"WebsiteUser", 100}};
  r.user_count = 100;
  r.locust_buckets = locust_buckets;  // as a worker sends it: one histogram or the other
  r.loadgen_extensions = !locust_buckets;
  Message m;
  m.type = MessageType::kStats;
  m.type_name = "stats";
  m.data = std::move(r);
  m.node_id = "worker-host_0123456789abcdef0123456789abcdef";
  return m;
}

void BM_EncodeStatsReport(benchmark::State& state) {
  const Message m = stats_report(static_cast<std::size_t>(state.range(0)), 60, state.range(1) != 0);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string frame = loadgen::cluster::encode(m);
    bytes = frame.size();
    benchmark::DoNotOptimize(frame.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
// Second argument 1: to a Locust master (Locust's buckets); 0: to a loadgen master.
BENCHMARK(BM_EncodeStatsReport)
    ->Args({500, 1})
    ->Args({500, 0})
    ->Args({50, 1})
    ->Args({50, 0})
    ->Unit(benchmark::kMicrosecond);

// The master's work per report: decode the frame, merge the delta into the run's Aggregate.
void BM_MasterDecodeAndMerge(benchmark::State& state) {
  const std::string frame = loadgen::cluster::encode(
      stats_report(static_cast<std::size_t>(state.range(0)), 60, state.range(1) != 0));
  loadgen::stats::Aggregate agg(1'765'000'000.0, 1000);
  for (auto _ : state) {
    auto m = loadgen::cluster::decode(frame);
    if (!m) {
      state.SkipWithError(m.error().message.c_str());
      break;
    }
    auto& r = std::get<loadgen::cluster::StatsReport>(m->data);
    agg.merge(std::move(r.delta));
  }
  state.counters["bytes"] = static_cast<double>(frame.size());
}
BENCHMARK(BM_MasterDecodeAndMerge)
    ->Args({500, 1})
    ->Args({500, 0})
    ->Args({50, 1})
    ->Args({50, 0})
    ->Unit(benchmark::kMicrosecond);

void BM_Heartbeat(benchmark::State& state) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.type_name = "heartbeat";
  m.data = loadgen::cluster::HeartbeatData{"running", 42.5, 123'456'789};
  m.node_id = "worker-host_0123456789abcdef0123456789abcdef";
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string frame = loadgen::cluster::encode(m);
    auto back = loadgen::cluster::decode(frame);
    benchmark::DoNotOptimize(back);
    bytes = frame.size();
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Heartbeat)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
