// Settings every simulated user's HTTP client shares (from the CLI; see app/options.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "http/url.hpp"

namespace loadgen::client {

struct ClientConfig {
  // --host: relative request paths are appended to it (Locust: base_url + path).
  // Empty host = no base URL; relative requests then fail with a clear error.
  http::Url base;
  std::string base_origin;       // derived: base.origin()
  std::string base_host_header;  // derived: base.host_header()
  void set_base(http::Url url) {
    base = std::move(url);
    base_origin = base.host.empty() ? std::string() : base.origin();
    base_host_header = base.host.empty() ? std::string() : base.host_header();
  }
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(60);
  // Response timeout: from the start of writing the request to the last body byte.
  std::chrono::nanoseconds timeout = std::chrono::seconds(60);
  int max_redirects = 30;  // requests' default
  // --max-body-size: the most a kept response body may hold, and the most any Content-Encoding
  // may inflate to (kept or discarded); beyond it the request fails as body_too_large.
  std::size_t max_body_size = std::size_t{16} << 20;
  // A user about to wait at least this long between tasks (or in a task's sleep) hands its
  // idle keep-alive connections back to the worker's pool (HttpClient::park_for;
  // --park-after). Shorter waits keep them: no pool round trip, no liveness check.
  std::chrono::nanoseconds park_after = std::chrono::milliseconds(500);
  // Idle connections each worker's pool keeps (all origins; --connection-pool). 0: no
  // pool, a parking user closes its connections.
  std::size_t idle_pool_capacity = 4096;
  std::string user_agent = "loadgen/0.1";
  std::vector<std::pair<std::string, std::string>> default_headers;  // --header, on every request
};

}  // namespace loadgen::client
