// Instrument kinds and the OTLP metrics exporter's temporality preference (metrics/sdk.md
// "Default Aggregation", metrics/sdk_exporters/otlp.md): which AggregationTemporality each
// instrument kind is exported with, and whether its sum is monotonic. Pure functions, any thread.
#pragma once

#include <cstdint>

#include "otel/metric_data.hpp"

namespace loadgen::otel::metrics {

enum class InstrumentKind : std::uint8_t {
  kCounter,
  kUpDownCounter,
  kHistogram,
  kGauge,
  kObservableCounter,
  kObservableUpDownCounter,
  kObservableGauge,
};

// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (case-insensitive values cumulative, delta,
// lowmemory; default cumulative).
enum class TemporalityPreference : std::uint8_t { kCumulative, kDelta, kLowMemory };

// otlp.md: cumulative → all cumulative. delta → Counter, ObservableCounter, Histogram delta;
// UpDownCounter, ObservableUpDownCounter cumulative. lowmemory → (synchronous) Counter and
// Histogram delta; UpDownCounter, ObservableCounter, ObservableUpDownCounter cumulative.
// Gauges are not named by the spec (their points carry no temporality; it only decides start
// times and whether an unchanged series is repeated); like the Java and JS SDKs, "delta" makes
// both gauge kinds delta and "lowmemory" keeps them cumulative.
constexpr AggregationTemporality temporality_for(TemporalityPreference pref, InstrumentKind kind) {
  constexpr auto kD = AggregationTemporality::kDelta;
  constexpr auto kC = AggregationTemporality::kCumulative;
  switch (pref) {
    case TemporalityPreference::kCumulative:
      return kC;
    case TemporalityPreference::kDelta:
      switch (kind) {
        case InstrumentKind::kCounter:
        case InstrumentKind::kObservableCounter:
        case InstrumentKind::kHistogram:
        case InstrumentKind::kGauge:
        case InstrumentKind::kObservableGauge:
          return kD;
        case InstrumentKind::kUpDownCounter:
        case InstrumentKind::kObservableUpDownCounter:
          return kC;
      }
      return kC;
    case TemporalityPreference::kLowMemory:
      switch (kind) {
        case InstrumentKind::kCounter:
        case InstrumentKind::kHistogram:
          return kD;
        case InstrumentKind::kUpDownCounter:
        case InstrumentKind::kObservableCounter:
        case InstrumentKind::kObservableUpDownCounter:
        case InstrumentKind::kGauge:
        case InstrumentKind::kObservableGauge:
          return kC;
      }
      return kC;
  }
  return kC;
}

// sdk.md "Sum Aggregation": Counter, ObservableCounter and Histogram sums are monotonic.
constexpr bool is_monotonic(InstrumentKind kind) {
  switch (kind) {
    case InstrumentKind::kCounter:
    case InstrumentKind::kObservableCounter:
    case InstrumentKind::kHistogram:
      return true;
    case InstrumentKind::kUpDownCounter:
    case InstrumentKind::kObservableUpDownCounter:
    case InstrumentKind::kGauge:
    case InstrumentKind::kObservableGauge:
      return false;
  }
  return false;
}

// OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION.
enum class HistogramAggregation : std::uint8_t { kExplicitBucket, kBase2Exponential };

// OTEL_METRICS_EXEMPLAR_FILTER: always_on, always_off, trace_based (default) (sdk.md
// "ExemplarFilter").
enum class ExemplarFilter : std::uint8_t { kAlwaysOn, kAlwaysOff, kTraceBased };

// sdk.md "Cardinality limits": default per instrument (per metric stream).
inline constexpr std::uint32_t kDefaultCardinalityLimit = 2000;

}  // namespace loadgen::otel::metrics
