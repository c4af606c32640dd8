// Micro-benchmark of the metrics record path a worker runs once per HTTP request:
// http.client.request.duration into its SeriesStorage, keyed by a small fixed struct of the HTTP
// attributes (method, status, server address/port, error type, request name) hashed once per
// record; explicit (semconv advisory buckets) and base2 exponential (160 buckets) aggregation;
// with the series handle cached, with a key lookup, and with every measurement an exemplar
// candidate (sampled span, trace_based filter). Beside it, the peer figure: the same work done
// the way attribute-keyed SDKs record (an otel::Attributes built per measurement, serialized
// and looked up in a std::unordered_map). Prints figures only (ns/record); asserts nothing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/random.hpp"
#include "otel/metrics/aggregators.hpp"
#include "otel/metrics/exponential_histogram.hpp"
#include "otel/metrics/series_storage.hpp"

namespace {

using namespace loadgen::otel;           // NOLINT(google-build-using-namespace)
using namespace loadgen::otel::metrics;  // NOLINT(google-build-using-namespace)

// The worker's own key: ids into tables it owns; turned into otel::Attributes at collection.
struct HttpKey {
  std::uint32_t name_id = 0;    // request name
  std::uint32_t host_id = 0;    // server.address
  std::uint16_t port = 0;       // server.port
  std::uint16_t status = 0;     // http.response.status_code (0 = none)
  std::uint8_t method = 0;      // http.request.method
  std::uint8_t error_type = 0;  // error.type (0 = none)
  bool operator==(const HttpKey&) const = default;
};
std::uint64_t hash_key(const HttpKey& k) {
  std::uint64_t h = (std::uint64_t{k.name_id} << 32) ^ k.host_id;
  h ^= (std::uint64_t{k.port} << 48) ^ (std::uint64_t{k.status} << 24) ^
       (std::uint64_t{k.method} << 8) ^ k.error_type;
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}
struct HttpKeyHash {
  std::size_t operator()(const HttpKey& k) const { return static_cast<std::size_t>(hash_key(k)); }
};

std::vector<double> latencies() {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(std::log(0.020), 0.8);  // seconds, ~20 ms median
  std::vector<double> v(4096);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<HttpKey> keys(std::size_t n) {
  std::vector<HttpKey> v;
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back(HttpKey{static_cast<std::uint32_t>(i), 0, 8080,
                        static_cast<std::uint16_t>(i % 7 == 0 ? 500 : 200), 1, 0});
  }
  return v;
}

template <class Agg>
std::shared_ptr<const typename Agg::Config> config() {
  if constexpr (std::is_same_v<Agg, ExplicitHistogramAggregator>) {
    return make_explicit_config(http_duration_bounds());
  } else {
    return make_exponential_config();
  }
}

// range(0): distinct keys; range(1): 1 = cached handles, 0 = key + hash lookup per record;
// range(2): 1 = every measurement in a sampled span (exemplar offered), 0 = none sampled.
template <class Agg>
void BM_Record(benchmark::State& state) {
  const auto lat = latencies();
  const auto ks = keys(static_cast<std::size_t>(state.range(0)));
  const bool cached = state.range(1) != 0;
  loadgen::core::Rng rng(1);
  SeriesStorage<HttpKey, Agg, HttpKeyHash> storage(config<Agg>(), {}, rng, 0);
  std::vector<std::uint32_t> handles;
  for (const auto& k : ks) handles.push_back(storage.handle(k, hash_key(k)));
  MeasurementContext ctx;
  ctx.sampled = state.range(2) != 0;
  ctx.trace_id[0] = 1;
  ctx.span_id[0] = 1;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i % ks.size();
    ctx.time_unix_nano = i;
    if (cached) {
      storage.record(handles[k], lat[i & 4095], ctx);
    } else {
      storage.record(ks[k], hash_key(ks[k]), lat[i & 4095], ctx);
    }
    ++i;
    if ((i & 0xFFFFF) == 0) benchmark::DoNotOptimize(storage.take_delta(i));
  }
  state.counters["ns/record"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Peer: attribute-set keyed recording (Attributes built and serialized per measurement).
void BM_PeerAttributeMapRecord(benchmark::State& state) {
  const auto lat = latencies();
  const auto ks = keys(static_cast<std::size_t>(state.range(0)));
  const std::vector<std::string> names = [&] {
    std::vector<std::string> v;
    for (std::size_t n = 0; n < ks.size(); ++n) v.push_back("/api/products/" + std::to_string(n));
    return v;
  }();
  const auto cfg = make_explicit_config(http_duration_bounds());
  std::unordered_map<std::string, ExplicitHistogramAggregator> series;
  std::size_t i = 0;
  std::string serialized;
  for (auto _ : state) {
    const HttpKey& k = ks[i % ks.size()];
    Attributes attrs{{"http.request.method", AttrValue{std::string("GET")}},
                     {"http.response.status_code", AttrValue{std::int64_t{k.status}}},
                     {"server.address", AttrValue{std::string("shop.local")}},
                     {"server.port", AttrValue{std::int64_t{k.port}}},
                     {"loadgen.request.name", AttrValue{names[k.name_id]}}};
    serialized.clear();
    for (const auto& a : attrs) {
      serialized += a.key;
      serialized += '=';
      if (const auto* s = std::get_if<std::string>(&a.value.v)) {
        serialized += *s;
      } else if (const auto* n = std::get_if<std::int64_t>(&a.value.v)) {
        serialized += std::to_string(*n);
      }
      serialized += ',';
    }
    auto it = series.find(serialized);
    if (it == series.end()) it = series.emplace(serialized, ExplicitHistogramAggregator(cfg)).first;
    it->second.record(lat[i & 4095]);
    ++i;
  }
  state.counters["ns/record"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"keys", "cached", "sampled"});
  b->Args({1, 1, 0})->Args({32, 1, 0})->Args({32, 0, 0})->Args({1000, 0, 0})->Args({32, 1, 1});
}

BENCHMARK_TEMPLATE(BM_Record, ExplicitHistogramAggregator)->Apply(args);
BENCHMARK_TEMPLATE(BM_Record, ExponentialHistogramAggregator)->Apply(args);
BENCHMARK(BM_PeerAttributeMapRecord)->ArgName("keys")->Arg(32);

}  // namespace

BENCHMARK_MAIN();
