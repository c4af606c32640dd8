// RequestObserver: the instrumentation seam. The HTTP client calls it once per finished request
// (after redirects, after a catch_response verdict), on the worker thread that ran the request.
// The engine records stats through it; tracing and metrics hook in here later.
#pragma once

#include <cstdint>
#include <string_view>

#include "client/outcome.hpp"
#include "http/method.hpp"

namespace loadgen::client {

struct RequestRecord {
  http::Method method;
  std::string_view name;    // stats grouping name (request name= or the path)
  std::string_view url;     // final URL
  int status;               // 0 when no response
  Outcome outcome;
  std::string_view error;   // "<kind>: <detail>" for failures, empty on success
  std::int64_t start_wall_ns;
  std::int64_t duration_ns;  // monotonic, includes redirects and the body download
  std::uint64_t response_bytes;  // decoded body size (Locust's content size)
};

class RequestObserver {
 public:
  virtual void on_request(const RequestRecord& r) = 0;

 protected:
  ~RequestObserver() = default;
};

}  // namespace loadgen::client
