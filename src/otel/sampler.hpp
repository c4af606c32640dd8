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
// makes random), threshold T = round((1 - ratio) * 2^56), sample iff R >= T. ratio 1 samples
// everything, ratio 0 nothing. (We do not write the `ot=th:` tracestate entry.)
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

// The 56-bit rejection threshold T for a ratio (see Sampler).
std::uint64_t ratio_threshold(double ratio);

}  // namespace loadgen::otel
