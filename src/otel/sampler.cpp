// Built-in head samplers.
#include "otel/sampler.hpp"

#include <algorithm>
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
  // Precision: 4 hex digits, plus one per 4 halvings of the ratio below 1/2 (frexp's exponent,
  // floor-divided by -4), at most 12 (tracestate-probability-sampling, Algorithms).
  int exp = 0;
  (void)std::frexp(ratio, &exp);
  const int extra = exp >= 0 ? 0 : (-exp) / 4;  // floor(exp / -4) for exp <= 0
  const int precision = std::max(1, std::min(12, 4 + extra));
  const double scale = std::ldexp(1.0, 4 * precision);  // 16^precision
  // Round half up to `precision` digits of the rejection probability (1 - ratio).
  auto digits = static_cast<std::uint64_t>(std::floor((1.0 - ratio) * scale + 0.5));
  const auto max_digits = static_cast<std::uint64_t>(scale);
  if (digits >= max_digits) digits = max_digits - 1;  // the smallest probability of this precision
  return digits << (4 * (14 - precision));
}

std::string threshold_th(std::uint64_t threshold) {
  if (threshold == 0) return "0";
  if (threshold >= kMaxThreshold) threshold = kMaxThreshold - 1;
  char buf[15];
  std::snprintf(buf, sizeof buf, "%014llx", static_cast<unsigned long long>(threshold));
  std::string th(buf, 14);
  while (th.size() > 1 && th.back() == '0') th.pop_back();
  return th;
}

std::string sampled_trace_state(const Sampler& s) {
  switch (s.kind) {
    case SamplerKind::kTraceIdRatio:
    case SamplerKind::kParentBasedTraceIdRatio:
      // A ratio of 0 keeps nothing, so no kept span ever carries it.
      if (!(s.ratio > 0.0)) return {};
      return "ot=th:" + threshold_th(ratio_threshold(s.ratio));
    case SamplerKind::kAlwaysOn:
    case SamplerKind::kAlwaysOff:
    case SamplerKind::kParentBasedAlwaysOn:
    case SamplerKind::kParentBasedAlwaysOff:
      return {};
  }
  return {};
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
