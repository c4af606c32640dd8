// Exemplar reservoirs (metrics/sdk.md "ExemplarReservoir", "Exemplar defaults").
#include "otel/metrics/exemplar.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace loadgen::otel::metrics {
namespace {

void store(Exemplar& slot, NumberValue value, const MeasurementContext& ctx) {
  slot.time_unix_nano = ctx.time_unix_nano;
  slot.value = value;
  slot.trace_id = ctx.trace_id;
  slot.span_id = ctx.span_id;
  if (ctx.filtered_attributes != nullptr) {
    slot.filtered_attributes = *ctx.filtered_attributes;
  } else {
    slot.filtered_attributes.clear();  // keeps capacity: no allocation
  }
}

}  // namespace

// ---- FixedSizeExemplarReservoir ----

void FixedSizeExemplarReservoir::offer(NumberValue value, const MeasurementContext& ctx,
                                       core::Rng& rng) {
  if (slots_.empty()) return;
  const std::uint64_t n = seen_++;
  // sdk.md: bucket = n < size ? n : random_integer(0, n); keep if bucket < size.
  const std::uint64_t bucket = n < slots_.size() ? n : rng.below(n + 1);
  if (bucket < slots_.size()) store(slots_[bucket], value, ctx);
}

void FixedSizeExemplarReservoir::merge(const FixedSizeExemplarReservoir& other, core::Rng& rng) {
  if (slots_.empty() || other.seen_ == 0) return;
  const std::size_t mine = static_cast<std::size_t>(std::min<std::uint64_t>(seen_, slots_.size()));
  const std::size_t theirs =
      static_cast<std::size_t>(std::min<std::uint64_t>(other.seen_, other.slots_.size()));
  const std::uint64_t total = seen_ + other.seen_;
  if (mine + theirs <= slots_.size()) {
    // Both sides kept every measurement they saw: keep them all.
    for (std::size_t i = 0; i < theirs; ++i) slots_[mine + i] = other.slots_[i];
    seen_ = total;
    return;
  }
  // Efraimidis–Spirakis: key = log(u) / w, keep the size() largest keys; w = measurements an
  // exemplar stands for.
  struct Candidate {
    double key;
    const Exemplar* ex;
  };
  std::vector<Candidate> c;
  c.reserve(mine + theirs);
  const double w_mine =
      static_cast<double>(seen_) / static_cast<double>(std::max<std::size_t>(mine, 1));
  const double w_theirs = static_cast<double>(other.seen_) / static_cast<double>(theirs);
  for (std::size_t i = 0; i < mine; ++i)
    c.push_back({std::log(rng.uniform()) / w_mine, &slots_[i]});
  for (std::size_t i = 0; i < theirs; ++i) {
    c.push_back({std::log(rng.uniform()) / w_theirs, &other.slots_[i]});
  }
  const std::size_t keep = slots_.size();
  std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(keep), c.end(),
                    [](const Candidate& a, const Candidate& b) { return a.key > b.key; });
  std::vector<Exemplar> kept;
  kept.reserve(keep);
  for (std::size_t i = 0; i < keep; ++i) kept.push_back(*c[i].ex);
  slots_ = std::move(kept);
  seen_ = total;
}

void FixedSizeExemplarReservoir::reset() { seen_ = 0; }

void FixedSizeExemplarReservoir::collect(std::vector<Exemplar>& out) const {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(seen_, slots_.size()));
  out.insert(out.end(), slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(n));
}

// ---- AlignedHistogramBucketExemplarReservoir ----

AlignedHistogramBucketExemplarReservoir::AlignedHistogramBucketExemplarReservoir(
    std::shared_ptr<const std::vector<double>> bounds, bool enabled)
    : bounds_(std::move(bounds)) {
  if (enabled && bounds_) {
    slots_.resize(bounds_->size() + 1);
    seen_.resize(bounds_->size() + 1);
  }
}

void AlignedHistogramBucketExemplarReservoir::offer(double value, const MeasurementContext& ctx,
                                                    core::Rng& rng) {
  if (slots_.empty()) return;
  // find_histogram_bucket: the first bound >= value, else the last (+inf) bucket.
  const auto it = std::lower_bound(bounds_->begin(), bounds_->end(), value);
  offer_in_bucket(static_cast<std::size_t>(it - bounds_->begin()), value, ctx, rng);
}

void AlignedHistogramBucketExemplarReservoir::offer_in_bucket(std::size_t bucket, double value,
                                                              const MeasurementContext& ctx,
                                                              core::Rng& rng) {
  if (bucket >= slots_.size()) return;
  // sdk.md: if random_integer(0, seen[bucket]) == 0 then keep; seen[bucket] += 1.
  const std::uint64_t n = seen_[bucket]++;
  if (n == 0 || rng.below(n + 1) == 0) store(slots_[bucket], value, ctx);
}

void AlignedHistogramBucketExemplarReservoir::merge(
    const AlignedHistogramBucketExemplarReservoir& other, core::Rng& rng) {
  const std::size_t n = std::min(slots_.size(), other.slots_.size());
  for (std::size_t b = 0; b < n; ++b) {
    const std::uint64_t theirs = other.seen_[b];
    if (theirs == 0) continue;
    const std::uint64_t total = seen_[b] + theirs;
    // Each side's exemplar is a uniform pick of its measurements: pick a side by weight.
    if (seen_[b] == 0 || rng.below(total) < theirs) slots_[b] = other.slots_[b];
    seen_[b] = total;
  }
}

void AlignedHistogramBucketExemplarReservoir::reset() {
  std::fill(seen_.begin(), seen_.end(), std::uint64_t{0});
}

void AlignedHistogramBucketExemplarReservoir::collect(std::vector<Exemplar>& out) const {
  for (std::size_t b = 0; b < slots_.size(); ++b) {
    if (seen_[b] != 0) out.push_back(slots_[b]);
  }
}

}  // namespace loadgen::otel::metrics
