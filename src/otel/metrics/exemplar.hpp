// Exemplar sampling for metric series (metrics/sdk.md "Exemplar"): the ExemplarFilter, the
// measurement context a worker passes with each record, and the two built-in reservoirs. A
// reservoir belongs to one series in one single-threaded storage; offers do not allocate (slots
// are sized at construction) unless filtered attributes are given. Reservoirs merge (collector
// thread) so worker deltas combine into one sample per series and interval.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/random.hpp"
#include "otel/metric_data.hpp"
#include "otel/metrics/instrument.hpp"

namespace loadgen::otel::metrics {

// What the record path knows about a measurement besides its value.
struct MeasurementContext {
  std::uint64_t time_unix_nano = 0;
  TraceId trace_id{};    // of the active span; zero = none
  SpanId span_id{};      // of the active span; zero = none
  bool sampled = false;  // the active span is sampled (W3C trace flags bit 0)
  // Measurement attributes not in the series' attribute set (Exemplar.filtered_attributes);
  // null = none. Copied only when the measurement is kept.
  const Attributes* filtered_attributes = nullptr;
};

// TraceBased: eligible only when recorded in the context of a sampled span.
constexpr bool exemplar_eligible(ExemplarFilter f, const MeasurementContext& ctx) {
  switch (f) {
    case ExemplarFilter::kAlwaysOn:
      return true;
    case ExemplarFilter::kAlwaysOff:
      return false;
    case ExemplarFilter::kTraceBased:
      return ctx.sampled;
  }
  return false;
}

// SimpleFixedSizeExemplarReservoir: uniform reservoir sampling ("Algorithm R") over the
// measurements offered since the last reset. Default size 1; min(20, max_size) for
// exponential histograms (sdk.md "Exemplar defaults"). Size 0 = disabled.
class FixedSizeExemplarReservoir {
 public:
  explicit FixedSizeExemplarReservoir(std::uint32_t size = 1) : slots_(size) {}

  void offer(NumberValue value, const MeasurementContext& ctx, core::Rng& rng);
  // Combines other's sample of its measurements with ours into a sample of both (weighted
  // sampling without replacement, each kept exemplar standing for seen/kept measurements).
  void merge(const FixedSizeExemplarReservoir& other, core::Rng& rng);
  void reset();  // per collection: "any stateful portion of sampling ... SHOULD be reset"
  void collect(std::vector<Exemplar>& out) const;

  std::uint64_t seen() const { return seen_; }
  std::size_t size() const { return slots_.size(); }

 private:
  std::vector<Exemplar> slots_;
  std::uint64_t seen_ = 0;  // slots_[0, min(seen_, size)) are filled
};

// AlignedHistogramBucketExemplarReservoir: at most one exemplar per explicit histogram bucket,
// chosen uniformly among the bucket's measurements (the spec's SHOULD; keeping the last one is
// its MAY). Size = bounds + 1.
class AlignedHistogramBucketExemplarReservoir {
 public:
  // bounds null or disabled → a reservoir that keeps nothing.
  AlignedHistogramBucketExemplarReservoir(std::shared_ptr<const std::vector<double>> bounds,
                                          bool enabled);

  void offer(double value, const MeasurementContext& ctx, core::Rng& rng);
  void offer_in_bucket(std::size_t bucket, double value, const MeasurementContext& ctx,
                       core::Rng& rng);
  void merge(const AlignedHistogramBucketExemplarReservoir& other, core::Rng& rng);
  void reset();
  void collect(std::vector<Exemplar>& out) const;

  std::size_t size() const { return slots_.size(); }

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::vector<Exemplar> slots_;
  std::vector<std::uint64_t> seen_;  // per bucket
};

}  // namespace loadgen::otel::metrics
