// Built-in head samplers.
#include "otel/sampler.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "otel/ids.hpp"

namespace loadgen::otel {
namespace {

constexpr std::uint64_t kMaxThreshold = std::uint64_t{1} << 56;

bool ratio_sample(const TraceId& trace_id, double ratio) {
  return trace_id_random_bits(trace_id) >= ratio_threshold(ratio);
}

std::string ratio_name(double ratio) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "TraceIdRatioBased{%f}", ratio);
  return buf;
}

}  // namespace

std::uint64_t ratio_threshold(double ratio) {
  if (!(ratio > 0.0)) return kMaxThreshold;  // also NaN: sample nothing
  if (ratio >= 1.0) return 0;
  const double t = std::round((1.0 - ratio) * 0x1.0p56);
  if (t >= 0x1.0p56) return kMaxThreshold;
  return static_cast<std::uint64_t>(t);
}

bool Sampler::should_sample(const TraceId& trace_id, const SpanContext* parent) const {
  const bool has_parent = parent != nullptr && parent->valid();
  switch (kind) {
    case SamplerKind::kAlwaysOn:
      return true;
    case SamplerKind::kAlwaysOff:
      return false;
    case SamplerKind::kTraceIdRatio:
      return ratio_sample(trace_id, ratio);
    case SamplerKind::kParentBasedAlwaysOn:
      return has_parent ? parent->sampled() : true;
    case SamplerKind::kParentBasedAlwaysOff:
      return has_parent ? parent->sampled() : false;
    case SamplerKind::kParentBasedTraceIdRatio:
      return has_parent ? parent->sampled() : ratio_sample(trace_id, ratio);
  }
  return false;
}

std::string Sampler::description() const {
  switch (kind) {
    case SamplerKind::kAlwaysOn:
      return "AlwaysOnSampler";
    case SamplerKind::kAlwaysOff:
      return "AlwaysOffSampler";
    case SamplerKind::kTraceIdRatio:
      return ratio_name(ratio);
    case SamplerKind::kParentBasedAlwaysOn:
      return "ParentBased{root=AlwaysOnSampler}";
    case SamplerKind::kParentBasedAlwaysOff:
      return "ParentBased{root=AlwaysOffSampler}";
    case SamplerKind::kParentBasedTraceIdRatio:
      return "ParentBased{root=" + ratio_name(ratio) + "}";
  }
  return "unknown";
}

}  // namespace loadgen::otel
