// The metrics a worker records (docs/metrics.md):
// - http.client.request.duration (HTTP client semantic conventions, stable): a histogram in
//   seconds of every physical request (each redirect hop), with the convention's attributes
//   http.request.method, server.address, server.port, url.scheme, http.response.status_code,
//   error.type, network.protocol.version ("1.1": all we speak), exemplars with the CLIENT span's
//   ids; opt-in (LOADGEN_METRICS_REQUEST_NAME=true) loadgen.request.name, only for requests the
//   scenario named (Locust's name=): never the raw URL, whose path and query are unbounded;
// - loadgen.requests: a counter of the requests the stats table counts (one per logical request,
//   redirects included), by name, method and outcome (`ok` or the failure kind);
// - loadgen.eventloop.delay: a histogram of how late the worker's loop ran its periodic timer.
// Recorded per worker without locks or allocation in steady state (strings are interned
// process-wide once; keys are a few integers); merged by the metrics thread at collection.
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
  static constexpr std::uint32_t kNoName = 0xFFFFFFFFu;
  std::uint32_t name = kNoName;  // interned; kNoName: no loadgen.request.name
  std::uint32_t address = 0;     // interned
  std::uint16_t port = 0;
  std::uint16_t status = 0;  // 0: no response
  std::uint8_t method = 0;
  std::uint8_t outcome = 0;  // client::Outcome
  bool tls = false;          // url.scheme https (else http)
  bool operator==(const RequestKey&) const = default;
};
struct RequestKeyHash {
  std::size_t operator()(const RequestKey& k) const;
};

// loadgen.requests' attributes.
struct RequestCountKey {
  std::uint32_t name = 0;  // interned
  std::uint8_t method = 0;
  std::uint8_t outcome = 0;  // client::Outcome
  bool operator==(const RequestCountKey&) const = default;
};
struct RequestCountKeyHash {
  std::size_t operator()(const RequestCountKey& k) const;
};

struct RequestMetricsConfig {
  otel::metrics::HistogramAggregation aggregation =
      otel::metrics::HistogramAggregation::kExplicitBucket;
  otel::metrics::ExemplarFilter exemplar_filter = otel::metrics::ExemplarFilter::kTraceBased;
  otel::metrics::TemporalityPreference temporality =
      otel::metrics::TemporalityPreference::kCumulative;
  // LOADGEN_METRICS_REQUEST_NAME=true: http.client.request.duration also carries
  // loadgen.request.name for requests given a name by the scenario (opt-in: not a semconv
  // attribute, and a cardinality the backend pays for).
  bool request_name = false;
};

// "loadgen-w<index>": a worker thread's name (pthread name and the thread.name attribute).
std::string worker_thread_name(std::uint32_t index);

// A worker's recorder. Worker thread only.
class RequestMetrics {
 public:
  struct Delta;  // opaque: handed to the collector
  // worker: the worker's index (thread.name "loadgen-w<index>" on the loop delay).
  RequestMetrics(const RequestMetricsConfig& cfg, std::uint64_t seed, std::uint32_t worker = 0);
  ~RequestMetrics();
  void record(const client::AttemptRecord& a);    // http.client.request.duration
  void record(const client::RequestRecord& r);    // loadgen.requests
  void record_loop_delay(std::int64_t delay_ns);  // loadgen.eventloop.delay
  std::shared_ptr<Delta> take(std::uint64_t now_unix_nano);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The collector's streams (metrics thread only): merge the workers' deltas and produce the
// metrics with the configured temporality.
class RequestMetricStream {
 public:
  RequestMetricStream(const RequestMetricsConfig& cfg, std::uint64_t creation_unix_nano);
  ~RequestMetricStream();
  void merge(const RequestMetrics::Delta& d);
  // Appends http.client.request.duration, loadgen.requests and loadgen.eventloop.delay.
  void collect(std::uint64_t now_unix_nano, std::vector<otel::Metric>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace loadgen::engine
