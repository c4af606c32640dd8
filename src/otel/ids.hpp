// Trace and span ids for the otel module: random generation from a worker's Rng and lowercase
// hex encoding/decoding (W3C Trace Context §3.2.2.3-4, OTLP/JSON hex ids). Allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/random.hpp"
#include "otel/common.hpp"

namespace loadgen::otel {

inline constexpr std::size_t kTraceIdHexLen = 32;
inline constexpr std::size_t kSpanIdHexLen = 16;

// A fully random, valid trace id. W3C Trace Context Level 2 only asks that the rightmost 7 bytes
// be random (then the sender may set the "random" flag 0x02); ours are random in all 16 bytes.
TraceId random_trace_id(core::Rng& rng);
// A random span id, never all zero.
SpanId random_span_id(core::Rng& rng);

// W3C: an id of all zero bytes is invalid.
bool is_valid(const TraceId& id);
bool is_valid(const SpanId& id);

// Lowercase hex into exactly 32 / 16 chars (no terminator written).
void to_hex(const TraceId& id, char out[kTraceIdHexLen]);
void to_hex(const SpanId& id, char out[kSpanIdHexLen]);
std::string to_hex(const TraceId& id);
std::string to_hex(const SpanId& id);

// Exactly 32 / 16 hex digits (either case, as OTLP/JSON readers accept); nullopt otherwise.
// An all-zero id decodes fine: check is_valid() where validity matters.
std::optional<TraceId> trace_id_from_hex(std::string_view hex);
std::optional<SpanId> span_id_from_hex(std::string_view hex);

// The low 56 bits of a trace id (its rightmost 7 bytes, big-endian), the randomness value R
// of the OTel probability sampling spec (tracestate-probability-sampling).
std::uint64_t trace_id_random_bits(const TraceId& id);

}  // namespace loadgen::otel
