// http.client.request.duration (HTTP client semantic conventions, stable): a histogram in
// seconds of every physical request (each redirect hop), with http.request.method,
// http.response.status_code, server.address, server.port, error.type and the request name
// (loadgen.request.name, the name the stats table groups by), exemplars with the CLIENT span's
// ids. Recorded per worker without locks or allocation in steady state (strings are interned
// process-wide once; the key is a few integers); merged by the metrics thread at collection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/request_observer.hpp"
#include "core/random.hpp"
#include "otel/metric_data.hpp"
#include "otel/metrics/aggregators.hpp"
#include "otel/metrics/exponential_histogram.hpp"
#include "otel/metrics/instrument.hpp"

namespace loadgen::engine {

struct RequestKey {
  std::uint32_t name = 0;     // interned
  std::uint32_t address = 0;  // interned
  std::uint16_t port = 0;
  std::uint16_t status = 0;   // 0: no response
  std::uint8_t method = 0;
  std::uint8_t outcome = 0;   // client::Outcome
  bool operator==(const RequestKey&) const = default;
};
struct RequestKeyHash {
  std::size_t operator()(const RequestKey& k) const;
};

struct RequestMetricsConfig {
  otel::metrics::HistogramAggregation aggregation = otel::metrics::HistogramAggregation::kExplicitBucket;
  otel::metrics::ExemplarFilter exemplar_filter = otel::metrics::ExemplarFilter::kTraceBased;
  otel::metrics::TemporalityPreference temporality =
      otel::metrics::TemporalityPreference::kCumulative;
};

// A worker's recorder. Worker thread only.
class RequestMetrics {
 public:
  struct Delta;  // opaque: handed to the collector
  RequestMetrics(const RequestMetricsConfig& cfg, std::uint64_t seed);
  ~RequestMetrics();
  void record(const client::AttemptRecord& a);
  std::shared_ptr<Delta> take(std::uint64_t now_unix_nano);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The collector's stream (metrics thread only): merges the workers' deltas and produces the
// metric with the configured temporality.
class RequestMetricStream {
 public:
  RequestMetricStream(const RequestMetricsConfig& cfg, std::uint64_t creation_unix_nano);
  ~RequestMetricStream();
  void merge(const RequestMetrics::Delta& d);
  otel::Metric collect(std::uint64_t now_unix_nano);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace loadgen::engine
