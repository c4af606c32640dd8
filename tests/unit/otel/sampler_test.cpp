// Built-in samplers: parent-based decisions, ratio determinism, monotonicity and accuracy.
#include "otel/sampler.hpp"

#include <gtest/gtest.h>

#include "otel/ids.hpp"

namespace loadgen::otel {
namespace {

SpanContext parent(bool sampled) {
  SpanContext p;
  p.trace_id = *trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  p.span_id = *span_id_from_hex("00f067aa0ba902b7");
  p.flags = sampled ? kTraceFlagSampled : 0;
  p.remote = true;
  return p;
}

TEST(Sampler, AlwaysOnOff) {
  const TraceId id = *trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  const SpanContext unsampled = parent(false);
  EXPECT_TRUE((Sampler{SamplerKind::kAlwaysOn, 1}).should_sample(id, &unsampled));
  EXPECT_FALSE((Sampler{SamplerKind::kAlwaysOff, 1}).should_sample(id, nullptr));
}

TEST(Sampler, ParentBasedFollowsParent) {
  const TraceId id = *trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  const SpanContext yes = parent(true);
  const SpanContext no = parent(false);
  SpanContext local_yes = yes;
  local_yes.remote = false;
  const SpanContext invalid;  // no valid parent → the root sampler decides
  for (auto kind : {SamplerKind::kParentBasedAlwaysOn, SamplerKind::kParentBasedAlwaysOff,
                    SamplerKind::kParentBasedTraceIdRatio}) {
    const Sampler s{kind, 0.0};
    EXPECT_TRUE(s.should_sample(id, &yes));
    EXPECT_TRUE(s.should_sample(id, &local_yes));
    EXPECT_FALSE(s.should_sample(id, &no));
  }
  EXPECT_TRUE((Sampler{SamplerKind::kParentBasedAlwaysOn, 1}).should_sample(id, nullptr));
  EXPECT_TRUE((Sampler{SamplerKind::kParentBasedAlwaysOn, 1}).should_sample(id, &invalid));
  EXPECT_FALSE((Sampler{SamplerKind::kParentBasedAlwaysOff, 1}).should_sample(id, nullptr));
  EXPECT_FALSE((Sampler{SamplerKind::kParentBasedTraceIdRatio, 0}).should_sample(id, nullptr));
  EXPECT_TRUE((Sampler{SamplerKind::kParentBasedTraceIdRatio, 1}).should_sample(id, nullptr));
}

TEST(Sampler, RatioIgnoresParentFlag) {
  const SpanContext yes = parent(true);
  EXPECT_FALSE((Sampler{SamplerKind::kTraceIdRatio, 0}).should_sample(yes.trace_id, &yes));
}

TEST(Sampler, RatioThresholds) {
  EXPECT_EQ(ratio_threshold(1.0), 0u);
  EXPECT_EQ(ratio_threshold(0.0), std::uint64_t{1} << 56);
  EXPECT_EQ(ratio_threshold(0.5), std::uint64_t{1} << 55);
  EXPECT_EQ(ratio_threshold(-1), std::uint64_t{1} << 56);
  EXPECT_EQ(ratio_threshold(2), 0u);
  // R >= T: the boundary ids.
  const Sampler half{SamplerKind::kTraceIdRatio, 0.5};
  EXPECT_TRUE(half.should_sample(*trace_id_from_hex("00000000000000000080000000000000"), nullptr));
  EXPECT_FALSE(half.should_sample(*trace_id_from_hex("ffffffffffffffffff7fffffffffffff"), nullptr));
}

TEST(Sampler, RatioIsDeterministicMonotoneAndAccurate) {
  core::Rng rng(1234);
  constexpr int kIds = 200000;
  int sampled_10 = 0;
  int sampled_25 = 0;
  const Sampler s10{SamplerKind::kTraceIdRatio, 0.10};
  const Sampler s25{SamplerKind::kTraceIdRatio, 0.25};
  for (int i = 0; i < kIds; ++i) {
    const TraceId id = random_trace_id(rng);
    const bool a = s10.should_sample(id, nullptr);
    const bool b = s25.should_sample(id, nullptr);
    EXPECT_EQ(a, s10.should_sample(id, nullptr));  // same id, same decision
    if (a) {
      EXPECT_TRUE(b);  // monotone in the ratio
    }
    sampled_10 += a ? 1 : 0;
    sampled_25 += b ? 1 : 0;
  }
  EXPECT_NEAR(sampled_10 / double{kIds}, 0.10, 0.005);
  EXPECT_NEAR(sampled_25 / double{kIds}, 0.25, 0.005);
}

// tracestate-probability-sampling, "Converting floating-point probability to threshold value":
// the spec's table for precision 4 (the recommended SDK default) and tracestate-handling.md's
// `th` encoding (14 hex digits, trailing zeros removed, "0" for 100 %).
TEST(Sampler, ThresholdsFollowTheSpecTableAtPrecision4) {
  struct Case {
    double p;
    const char* th;
  };
  for (const Case c : {Case{1.0, "0"}, Case{0.5, "8"}, Case{1.0 / 3, "aaab"}, Case{0.25, "c"},
                       Case{0.2, "cccd"}, Case{0.125, "e"}, Case{0.1, "e666"}, Case{0.0625, "f"},
                       Case{0.01, "fd70a"}, Case{0.001, "ffbe77"}, Case{0.0001, "fff9724"},
                       Case{0.00001, "ffff583a"}, Case{0.000001, "ffffef39"}}) {
    EXPECT_EQ(threshold_th(ratio_threshold(c.p)), c.th) << c.p;
  }
  EXPECT_EQ(ratio_threshold(0.1), std::uint64_t{0xe666} << 40);
  EXPECT_EQ(threshold_th(0), "0");
  EXPECT_EQ(threshold_th(std::uint64_t{1} << 48), "01");  // leading zeros kept, 14 digits
}

TEST(Sampler, TheWrittenThresholdIsTheOneThatDecided) {
  // p = 0.1: T = 0xe666 << 40; R = T - 1 is dropped, R = T kept (sample iff R >= T).
  const Sampler s{SamplerKind::kTraceIdRatio, 0.1};
  EXPECT_FALSE(s.should_sample(*trace_id_from_hex("000000000000000000e665ffffffffff"), nullptr));
  EXPECT_TRUE(s.should_sample(*trace_id_from_hex("000000000000000000e6660000000000"), nullptr));
}

TEST(Sampler, RatioSamplersWriteTheirThresholdInTracestate) {
  EXPECT_EQ(sampled_trace_state({SamplerKind::kTraceIdRatio, 0.5}), "ot=th:8");
  EXPECT_EQ(sampled_trace_state({SamplerKind::kParentBasedTraceIdRatio, 0.25}), "ot=th:c");
  EXPECT_EQ(sampled_trace_state({SamplerKind::kParentBasedTraceIdRatio, 1.0}), "ot=th:0");
  EXPECT_EQ(sampled_trace_state({SamplerKind::kTraceIdRatio, 0.0}), "");  // keeps nothing
  EXPECT_EQ(sampled_trace_state({SamplerKind::kParentBasedAlwaysOn, 1.0}), "");
  EXPECT_EQ(sampled_trace_state({SamplerKind::kAlwaysOn, 1.0}), "");
  // A valid W3C tracestate list member (key `ot`, value without ',' or '=').
  EXPECT_TRUE(TraceState::parse(sampled_trace_state({SamplerKind::kTraceIdRatio, 0.1})));
}

TEST(Sampler, Descriptions) {
  EXPECT_EQ((Sampler{SamplerKind::kParentBasedAlwaysOn, 1}).description(),
            "ParentBased{root=AlwaysOnSampler}");
  EXPECT_EQ((Sampler{SamplerKind::kTraceIdRatio, 0.25}).description(),
            "TraceIdRatioBased{0.250000}");
}

}  // namespace
}  // namespace loadgen::otel
