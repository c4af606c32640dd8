// Prometheus exporter (OTEL_METRICS_EXPORTER=prometheus; the OTel "Prometheus and OpenMetrics
// compatibility" rules): a GET /metrics endpoint on OTEL_EXPORTER_PROMETHEUS_HOST:PORT
// (default localhost:9464) serving the text exposition format 0.0.4. Each scrape asks the
// metrics pipeline for a fresh cumulative collection.
// Names: dots and other invalid characters become '_', the unit is appended as a suffix
// (s → seconds, By → bytes, {annotations} dropped), counters end in _total; attributes become
// labels; the resource is a target_info gauge. Explicit-bucket histograms become _bucket/_sum/
// _count series; exponential histograms have no text form and are left out (a comment says so).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/log_sink.hpp"
#include "core/result.hpp"
#include "otel/metric_data.hpp"
#include "server/router.hpp"
#include "server/threaded_server.hpp"

namespace loadgen::telemetry {

// The text exposition of one collection.
std::string render_prometheus(const otel::Resource& resource,
                              const std::vector<otel::Metric>& metrics);

// GET /metrics → collect(), a route on a server::HttpServer with its own loop and thread (a
// scrape waits for the metrics pipeline's loop, so it must not run on that loop). Other paths
// are 404, other methods on /metrics 405.
class PrometheusServer {
 public:
  using Collect = std::function<std::string()>;  // thread-safe; returns the rendered text
  PrometheusServer();
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // Binds and starts serving; the error names the address and the reason
  // ("OTEL_EXPORTER_PROMETHEUS_HOST/PORT host:port: cannot listen: ...").
  core::Status start(const std::string& host, std::uint16_t port, Collect collect,
                     core::LogSink* log);
  std::uint16_t port() const { return port_; }
  void stop();

 private:
  std::uint16_t port_ = 0;
  Collect collect_;
  core::LogSink* log_ = nullptr;
  server::Router router_;
  server::ThreadedServer server_;  // last: stopped (destroyed) before the router it calls
};

}  // namespace loadgen::telemetry
