// The otel module's data model for finished spans, as handed from workers to the exporter
// thread and encoded there (OTLP protobuf/JSON). Plain values; owned by whoever holds them.
// Field meanings follow OTLP's trace.proto (opentelemetry-proto v1.x) and the SDK spec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "otel/common.hpp"

namespace loadgen::otel {

enum class SpanKind : std::uint8_t {  // Span.SpanKind
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5
};
enum class StatusCode : std::uint8_t { kUnset = 0, kOk = 1, kError = 2 };  // Status.StatusCode

struct SpanEvent {
  std::uint64_t time_unix_nano = 0;
  std::string name;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

struct SpanLink {
  TraceId trace_id{};
  SpanId span_id{};
  std::string trace_state;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::uint32_t flags = 0;
};

struct SpanData {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero for a root span
  std::string trace_state;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  std::uint32_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  std::uint32_t dropped_links_count = 0;
  StatusCode status_code = StatusCode::kUnset;
  std::string status_message;
  // Span.flags: low byte W3C trace flags; bit 8 (0x100) "has is_remote", bit 9 (0x200) parent
  // is remote (SpanFlags in trace.proto).
  std::uint32_t flags = 0;
};

struct ClientSpans;  // client_span.hpp
// Records [first, first + count) of a ClientSpans: CLIENT spans in their compact form, borrowed
// for the duration of an export.
struct ClientSpanRange {
  const ClientSpans* spans = nullptr;
  std::size_t first = 0;
  std::size_t count = 0;
};

// One export batch: a resource, and spans grouped by instrumentation scope. A scope's spans are
// `spans` and then those of `client_spans` (encoded as Span messages alike).
struct ScopeSpans {
  InstrumentationScope scope;
  std::vector<SpanData> spans;
  std::string schema_url;
  std::vector<ClientSpanRange> client_spans;
};

// The number of spans of a scope (SpanData and compact CLIENT spans).
inline std::size_t span_count(const ScopeSpans& s) {
  std::size_t n = s.spans.size();
  for (const ClientSpanRange& r : s.client_spans) n += r.count;
  return n;
}
struct ResourceSpans {
  Resource resource;
  std::vector<ScopeSpans> scope_spans;
};

}  // namespace loadgen::otel
