// Trace context on the wire: what every request of a simulated user carries (W3C Trace
// Context `traceparent`, W3C Baggage `baggage`, optionally B3). One RequestTrace per user,
// owned by the user (scenario::User) and read by its HttpClient when it writes a request.
// Each physical request gets a new span id whose parent is the user's active task span; the
// sampled flag is carried also when the sampler drops the trace: flags 02 (not sampled, and
// W3C Trace Context Level 2's random-trace-id flag, since our trace ids are random).
#pragma once

#include <cstdint>
#include <string>

#include "core/random.hpp"
#include "otel/span_data.hpp"

namespace loadgen::client {

// Which propagators inject headers (OTEL_PROPAGATORS). Shared, read-only during a run.
struct Propagation {
  bool tracecontext = true;
  bool baggage = true;
  bool b3 = false;       // single `b3` header
  bool b3multi = false;  // X-B3-TraceId, X-B3-SpanId, X-B3-Sampled
};

struct RequestTrace {
  const Propagation* propagation = nullptr;  // null: inject nothing
  core::Rng* rng = nullptr;                  // the user's; new span ids come from it
  otel::TraceId trace_id{};                  // the active task's trace (all zero: none active)
  otel::SpanId parent_span_id{};             // the active task span
  std::uint8_t trace_flags = 0;              // W3C flags of the active trace (0x01 sampled)
  std::string baggage_header;                // pre-encoded W3C baggage; empty: no header
  // W3C `tracestate` of the active trace, sent with `traceparent` (tracecontext propagator);
  // e.g. "ot=th:8" (the OTel probability-sampling threshold of a ratio sampler); empty: none.
  std::string trace_state;
  otel::TraceId last_trace_id{};  // trace id injected into the latest request
  otel::SpanId last_span_id{};    // span id injected into the latest request
};

}  // namespace loadgen::client
