// Worker-side metric storage: one instrument's series keyed by the worker's own attribute key
// type (e.g. a small struct of HTTP attributes hashed once), each with its aggregator and
// exemplar reservoir, under the cardinality limit (sdk.md "Cardinality limits": at most `limit`
// distinct attribute sets; measurements for further sets go to the series whose only
// attribute is otel.metric.overflow=true). Single-threaded and lock-free by ownership: the
// owning worker records; at collection it calls take_delta() and sends the Delta (a plain
// value) to the collector thread, which merges it into a MetricStream (metric_stream.hpp).
// Steady-state record() does not allocate: a new series allocates once, nothing else does.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/random.hpp"
#include "otel/metrics/exemplar.hpp"
#include "otel/metrics/instrument.hpp"

namespace loadgen::otel::metrics {

// One series' state: aggregation, exemplars, and when its first measurement (since the last
// take) happened — the collector uses it as a cumulative series' start time (sdk.md "Start
// timestamps": the time of the first measurement of the attribute set).
template <class Agg>
struct SeriesCell {
  Agg agg;
  typename Agg::Reservoir reservoir;
  std::uint64_t first_time_unix_nano = 0;
  bool touched = false;

  // cfg: non-null (or_default() below).
  SeriesCell(const std::shared_ptr<const typename Agg::Config>& cfg, bool exemplars)
      : agg(cfg), reservoir(Agg::make_reservoir(*cfg, exemplars)) {}

  void record(typename Agg::Value v, const MeasurementContext& ctx, bool offer, core::Rng& rng) {
    if (!touched) {
      touched = true;
      first_time_unix_nano = ctx.time_unix_nano;
    }
    if constexpr (Agg::kRecordsTime) {
      agg.record(v, ctx.time_unix_nano);
    } else {
      agg.record(v);
    }
    if (offer) Agg::offer(reservoir, v, ctx, rng);
  }
  // Merges a delta cell; exemplars are combined as one sample of both.
  void merge(const SeriesCell& d, core::Rng& rng) {
    if (!d.touched) return;
    if (!touched ||
        (d.first_time_unix_nano != 0 && d.first_time_unix_nano < first_time_unix_nano)) {
      first_time_unix_nano = d.first_time_unix_nano;
    }
    touched = true;
    agg.merge(d.agg);
    reservoir.merge(d.reservoir, rng);
  }
  void reset() {
    agg.reset();
    reservoir.reset();
    touched = false;
    first_time_unix_nano = 0;
  }
};

// The aggregation's default configuration when none is given.
template <class Agg>
std::shared_ptr<const typename Agg::Config> or_default(
    std::shared_ptr<const typename Agg::Config> cfg) {
  return cfg ? cfg : Agg::default_config();
}

// What a worker hands to the collector: the series touched since the previous take.
template <class Key, class Agg>
struct DeltaSeries {
  Key key;
  std::uint64_t hash = 0;
  SeriesCell<Agg> cell;
};
template <class Key, class Agg>
struct Delta {
  std::uint64_t start_time_unix_nano = 0;  // the previous take (or the storage's creation)
  std::uint64_t time_unix_nano = 0;        // this take
  std::vector<DeltaSeries<Key, Agg>> series;
  std::optional<SeriesCell<Agg>> overflow;  // measurements beyond the cardinality limit
};

// Open-addressing index (linear probing) from Key to a dense position, looked up with a hash
// the caller computed (once per key, if it likes). Grows by doubling; never shrinks but clear().
template <class Key>
class KeyIndex {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

  // The position of key, or kNone. key_at(i) must give the key stored at position i.
  template <class KeyAt>
  std::uint32_t find(const Key& key, std::uint64_t hash, const KeyAt& key_at) const {
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = static_cast<std::size_t>(mix(hash)) & mask;; s = (s + 1) & mask) {
      const Slot& slot = slots_[s];
      if (slot.pos == kNone) return kNone;
      if (slot.hash == hash && key_at(slot.pos) == key) return slot.pos;
    }
  }
  // Records position pos for a key that find() did not find.
  void insert(std::uint64_t hash, std::uint32_t pos) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(hash, pos);
    ++size_;
  }
  void clear() {
    for (auto& s : slots_) s.pos = kNone;
    size_ = 0;
  }
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t pos = kNone;
  };
  // std::hash of integers is the identity: spread the bits before masking.
  static std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }
  void place(std::uint64_t hash, std::uint32_t pos) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t s = static_cast<std::size_t>(mix(hash)) & mask;
    while (slots_[s].pos != kNone) s = (s + 1) & mask;
    slots_[s] = Slot{hash, pos};
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.pos != kNone) place(s.hash, s.pos);
    }
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

struct StorageOptions {
  std::uint32_t cardinality_limit = kDefaultCardinalityLimit;  // distinct non-overflow sets
  ExemplarFilter exemplar_filter = ExemplarFilter::kTraceBased;
};

// Key: copyable, default-constructible, equality-comparable. Hash: a hasher for Key (used when
// the caller does not pass a hash). Agg: an aggregator (aggregators.hpp contract).
template <class Key, class Agg, class Hash = std::hash<Key>>
class SeriesStorage {
 public:
  using Value = typename Agg::Value;
  using Config = typename Agg::Config;
  using Cell = SeriesCell<Agg>;
  // A series' position: valid for the storage's lifetime (series are never evicted), so a
  // worker may cache it per key and skip the lookup.
  using Handle = std::uint32_t;
  static constexpr Handle kOverflow = 0xFFFFFFFEu;

  SeriesStorage(std::shared_ptr<const Config> cfg, StorageOptions opt, core::Rng& rng,
                std::uint64_t start_time_unix_nano = 0)
      : cfg_(or_default<Agg>(std::move(cfg))),
        opt_(opt),
        rng_(&rng),
        exemplars_(opt.exemplar_filter != ExemplarFilter::kAlwaysOff),
        overflow_(cfg_, exemplars_),
        last_take_(start_time_unix_nano) {}

  Handle handle(const Key& key) { return handle(key, static_cast<std::uint64_t>(Hash{}(key))); }
  // hash: any good 64-bit hash of key, the same for equal keys (the caller's own).
  Handle handle(const Key& key, std::uint64_t hash) {
    const std::uint32_t pos =
        index_.find(key, hash, [this](std::uint32_t i) -> const Key& { return series_[i].key; });
    if (pos != KeyIndex<Key>::kNone) return pos;
    if (series_.size() >= opt_.cardinality_limit) return kOverflow;
    series_.push_back(Entry{key, hash, Cell(cfg_, exemplars_)});
    const auto new_pos = static_cast<std::uint32_t>(series_.size() - 1);
    index_.insert(hash, new_pos);
    return new_pos;
  }

  void record(Handle h, Value v, const MeasurementContext& ctx) {
    Cell& cell = h == kOverflow ? overflow_ : series_[h].cell;
    cell.record(v, ctx, exemplar_eligible(opt_.exemplar_filter, ctx), *rng_);
  }
  void record(const Key& key, Value v, const MeasurementContext& ctx) {
    record(handle(key), v, ctx);
  }
  void record(const Key& key, std::uint64_t hash, Value v, const MeasurementContext& ctx) {
    record(handle(key, hash), v, ctx);
  }

  // The series touched since the previous take, then resets them (their slots stay, so the
  // next interval records without allocating).
  Delta<Key, Agg> take_delta(std::uint64_t now_unix_nano) {
    Delta<Key, Agg> d;
    d.start_time_unix_nano = last_take_;
    d.time_unix_nano = now_unix_nano;
    last_take_ = now_unix_nano;
    for (Entry& e : series_) {
      if (!e.cell.touched) continue;
      d.series.push_back(DeltaSeries<Key, Agg>{e.key, e.hash, e.cell});
      e.cell.reset();
    }
    if (overflow_.touched) {
      d.overflow.emplace(overflow_);
      overflow_.reset();
    }
    return d;
  }

  std::size_t series_count() const { return series_.size(); }
  const StorageOptions& options() const { return opt_; }

 private:
  struct Entry {
    Key key;
    std::uint64_t hash;
    Cell cell;
  };
  std::shared_ptr<const Config> cfg_;
  StorageOptions opt_;
  core::Rng* rng_;
  bool exemplars_;
  std::vector<Entry> series_;
  KeyIndex<Key> index_;
  Cell overflow_;  // created up front: overflow never needs an allocation to be recorded
  std::uint64_t last_take_;
};

}  // namespace loadgen::otel::metrics
