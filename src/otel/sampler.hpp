// Head samplers of the OTel trace SDK (trace/sdk.md "Built-in samplers"), as plain values a
// worker holds: AlwaysOn, AlwaysOff, TraceIdRatioBased and their ParentBased forms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otel/span_data.hpp"
#include "otel/trace_context.hpp"

namespace loadgen::otel {

enum class SamplerKind : std::uint8_t {
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
  kParentBasedAlwaysOn,
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
};

// TraceIdRatio decides from the trace id alone, so every service sampling the same trace with
// the same ratio agrees, and a higher ratio samples a superset. The spec never fixed the
// algorithm; we use the one of its successor, ProbabilitySampler (tracestate-probability-
// sampling): R = the low 56 bits of the trace id (its rightmost 7 bytes, the part W3C Level 2
// makes random), rejection threshold T = (1 - ratio) * 2^56 rounded to 4 significant hex digits
// (the spec's recommended SDK precision), sample iff R >= T. ratio 1 samples everything, ratio 0
// nothing. A kept trace carries `ot=th:<T>` in its tracestate (sampled_trace_state).
struct Sampler {
  SamplerKind kind = SamplerKind::kParentBasedAlwaysOn;
  double ratio = 1.0;  // only for the *TraceIdRatio kinds; clamped to [0, 1]

  // parent: the parent span's context, or nullptr (or an invalid context) for a root span.
  // ParentBased: a valid parent's sampled flag decides (remote and local parents alike);
  // otherwise the root sampler (AlwaysOn, AlwaysOff, TraceIdRatio) does.
  bool should_sample(const TraceId& trace_id, const SpanContext* parent) const;

  // Spec-style description, e.g. "ParentBased{root=TraceIdRatioBased{0.250000}}".
  std::string description() const;
};

// The 56-bit rejection threshold T for a ratio (see Sampler): tracestate-probability-sampling
// "Converting floating-point probability to threshold value" with precision 4 (raised by one
// digit per leading `f`, i.e. per factor 16 below 1/16), so that the `th` value written is exactly
// the T the decision used: 0.5 -> 0x8 << 52, 0.1 -> 0xe666 << 40, 0.01 -> 0xfd70a << 36.
std::uint64_t ratio_threshold(double ratio);

// The `th` sub-key value of a threshold (tracestate-handling.md "Sampling threshold value th"):
// 14 lowercase hex digits with the trailing zeros removed; "0" for T = 0 (100 %).
std::string threshold_th(std::uint64_t threshold);

// The tracestate a root span sampled by `s` carries: "ot=th:<th>" for the TraceIdRatio kinds
// (their root decision is a consistent probability decision); "" for the others, whose
// decisions are not probability sampling (AlwaysOn would be `th:0`; we leave the default wire
// unchanged).
std::string sampled_trace_state(const Sampler& s);

}  // namespace loadgen::otel
