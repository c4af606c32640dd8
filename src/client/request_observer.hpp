// RequestObserver: the instrumentation seam. The HTTP client calls it once per finished request
// (after redirects, after a catch_response verdict), on the worker thread that ran the request.
// The engine records stats through it; tracing and metrics hook in here later.
#pragma once

#include <cstdint>
#include <string_view>

#include "client/outcome.hpp"
#include "http/method.hpp"
#include "otel/span_data.hpp"

namespace loadgen::client {

struct RequestRecord {
  http::Method method;
  std::string_view name;  // stats grouping name (request name= or the path)
  std::string_view url;   // final URL
  int status;             // 0 when no response
  Outcome outcome;
  std::string_view error;  // "<kind>: <detail>" for failures, empty on success
  std::int64_t start_wall_ns;
  // Monotonic, from the call to the end of its last attempt: includes redirects and the body
  // download; a single attempt's AttemptRecord::duration_ns is exactly this.
  std::int64_t duration_ns;
  std::uint64_t response_bytes;  // decoded body size (Locust's content size)
  // The trace of the last attempt when it was sampled (its CLIENT span may be exported); all
  // zero otherwise (no trace context injected, or not sampled).
  otel::TraceId sampled_trace_id;
};

// One physical HTTP exchange (each redirect hop is its own), with the trace context injected
// into it: what a CLIENT span is made of (OTel HTTP client semantic conventions).
struct AttemptRecord {
  http::Method method;
  std::string_view name;            // the request's stats name (name= or the URL as given)
  std::string_view url;             // url.full of this attempt
  std::string_view server_address;  // server.address
  std::uint16_t server_port;        // server.port
  int status;                       // 0 when no response
  Outcome outcome;
  std::string_view error;  // "<kind>: <detail>" on failure
  std::int64_t start_wall_ns;
  std::int64_t end_wall_ns;  // start_wall_ns + duration_ns (a wall clock step moves neither)
  std::int64_t duration_ns;  // monotonic
  int resend_count;          // http.request.resend_count: redirect hops before this one
  otel::TraceId trace_id;    // all zero when no trace context was injected
  otel::SpanId span_id;
  otel::SpanId parent_span_id;
  std::uint8_t trace_flags;
  std::string_view trace_state = {};  // W3C tracestate sent with it ("" = none)
  bool named = false;  // `name` was given by the scenario (Locust's name=), not the URL
  bool tls = false;    // url.scheme https
};

class RequestObserver {
 public:
  virtual void on_request(const RequestRecord& r) = 0;
  // Each physical attempt; called before on_request. Default: ignored.
  virtual void on_attempt(const AttemptRecord& a) { (void)a; }

 protected:
  ~RequestObserver() = default;
};

}  // namespace loadgen::client
