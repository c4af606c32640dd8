// W3C Trace Context (Level 2) for the otel module: the SpanContext value, traceparent parsing and
// allocation-free formatting, tracestate parsing/validation/truncation, and B3 formats for
// injection (OTel "b3" / "b3multi" propagators). Used by the client to inject headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otel/ids.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel {

// trace-flags bits (W3C Trace Context Level 2 §3.2.2.5). Only these are ever sent.
inline constexpr std::uint8_t kTraceFlagSampled = 0x01;
inline constexpr std::uint8_t kTraceFlagRandom = 0x02;  // rightmost 7 bytes of trace-id random
inline constexpr std::uint8_t kKnownTraceFlags = kTraceFlagSampled | kTraceFlagRandom;

inline constexpr std::size_t kTraceparentLen = 55;  // "00-" 32 "-" 16 "-" 2
inline constexpr std::string_view kTraceparentHeader = "traceparent";
inline constexpr std::string_view kTracestateHeader = "tracestate";

struct SpanContext {
  TraceId trace_id{};
  SpanId span_id{};
  std::uint8_t flags = 0;   // W3C trace-flags as received or chosen
  std::string trace_state;  // a valid, normalized tracestate header value ("" = none)
  bool remote = false;      // true when extracted from a carrier

  bool valid() const { return is_valid(trace_id) && is_valid(span_id); }
  bool sampled() const { return (flags & kTraceFlagSampled) != 0; }
};

// Writes exactly 55 chars "00-<trace-id>-<span-id>-<flags>" (no terminator). Always version
// 00; flag bits other than sampled and random are cleared, as senders MUST (§3.2.2.5).
void format_traceparent(const SpanContext& ctx, char out[kTraceparentLen]);
std::string traceparent(const SpanContext& ctx);  // convenience, allocates

// Parses one traceparent header value (W3C Trace Context §3.2 and its test suite): leading and
// trailing spaces/tabs tolerated; version 00 must be exactly 55 chars; a higher version
// (01..fe) needs >= 55 chars with the v00 fields at the v00 positions, followed by the end or
// '-'; version ff, upper-case hex, wrong lengths, all-zero trace-id or parent-id → nullopt.
// The result has remote = true, empty trace_state, and the flags byte as received.
std::optional<SpanContext> parse_traceparent(std::string_view header);

// Extract as a propagator does: traceparent first (nullopt if invalid, and then tracestate is
// not looked at); tracestate (several headers joined with ',') is validated and normalized
// into trace_state, or dropped (empty) when invalid.
std::optional<SpanContext> extract_trace_context(std::string_view traceparent_header,
                                                 std::string_view tracestate_header);

// ---- tracestate (W3C Trace Context §3.3) ----
inline constexpr std::size_t kTraceStateMaxMembers = 32;
inline constexpr std::size_t kTraceStateMinPropagateLen = 512;  // must propagate at least this
inline constexpr std::size_t kTraceStateLargeMember = 128;      // dropped first on truncation

// key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")
//     | (lcalpha / DIGIT) 0*240(...) "@" lcalpha 0*13(...)        (the test suite's grammar)
bool is_valid_tracestate_key(std::string_view key);
// value = 0*255(chr) nblk-chr; chr = %x20-2B / %x2D-3C / %x3E-7E; nblk-chr = chr minus space.
bool is_valid_tracestate_value(std::string_view value);

struct TraceStateMember {
  std::string key;
  std::string value;
};

class TraceState {
 public:
  // list-members separated by ',' with OWS; empty members skipped; an empty header is an empty
  // tracestate. Any invalid member, a duplicate key or more than 32 members → nullopt (the
  // whole header is discarded, as the test suite expects).
  static std::optional<TraceState> parse(std::string_view header);

  // Adds or updates a key; the member moves to the left (§3.3.1.3). Beyond 32 members the
  // right-most is dropped. Returns false (no change) for an invalid key or value.
  bool set(std::string_view key, std::string_view value);
  bool erase(std::string_view key);
  std::optional<std::string_view> get(std::string_view key) const;

  // The header value, at most max_len chars: when it would be longer, whole members are
  // removed, first those longer than 128 chars, then from the right (§3.3.1.5).
  std::string header(std::size_t max_len = kTraceStateMinPropagateLen) const;

  const std::vector<TraceStateMember>& members() const { return members_; }
  bool empty() const { return members_.empty(); }
  std::size_t size() const { return members_.size(); }

 private:
  std::vector<TraceStateMember> members_;  // left-most first
};

// ---- B3 (openzipkin/b3-propagation; OTel propagators "b3" and "b3multi") ----
// Injection only: trace id, span id and the sampling state "1"/"0"; no parent span id (the OTel
// B3 propagator spec says it MUST NOT be propagated).
inline constexpr std::size_t kB3SingleLen = 51;  // 32 "-" 16 "-" 1
inline constexpr std::string_view kB3SingleHeader = "b3";
inline constexpr std::string_view kB3TraceIdHeader = "X-B3-TraceId";
inline constexpr std::string_view kB3SpanIdHeader = "X-B3-SpanId";
inline constexpr std::string_view kB3SampledHeader = "X-B3-Sampled";

// "{trace-id}-{span-id}-{1|0}", exactly 51 chars, no terminator.
void format_b3_single(const SpanContext& ctx, char out[kB3SingleLen]);

// The three b3multi header values.
struct B3MultiValues {
  char trace_id[kTraceIdHexLen];
  char span_id[kSpanIdHexLen];
  char sampled;  // '1' or '0'
  std::string_view trace_id_view() const { return {trace_id, kTraceIdHexLen}; }
  std::string_view span_id_view() const { return {span_id, kSpanIdHexLen}; }
  std::string_view sampled_view() const { return {&sampled, 1}; }
};
B3MultiValues format_b3_multi(const SpanContext& ctx);

}  // namespace loadgen::otel
