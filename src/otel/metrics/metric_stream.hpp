// Collector-side storage of one metric stream (metrics/sdk.md "MetricReader", "Start
// timestamps", "Cardinality limits"): merges the workers' Deltas (series_storage.hpp) and, at
// each collection, produces the otel::Metric in the stream's temporality.
//   delta:      points for series measured since the previous collection, start = the previous
//               collection (or the stream's creation), then everything is forgotten.
//   cumulative: every series ever measured, each with the start time of its first measurement,
//               repeated whether or not it changed; exemplars are those of the last interval.
// Owned by the collector thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/random.hpp"
#include "otel/metric_data.hpp"
#include "otel/metrics/instrument.hpp"
#include "otel/metrics/series_storage.hpp"

namespace loadgen::otel::metrics {

struct StreamDescriptor {
  std::string name;
  std::string description;
  std::string unit;
  InstrumentKind kind = InstrumentKind::kHistogram;
  AggregationTemporality temporality = AggregationTemporality::kCumulative;
  std::uint32_t cardinality_limit = kDefaultCardinalityLimit;
};

// The attribute set of the overflow series: otel.metric.overflow = true.
inline Attributes overflow_attributes() { return {{"otel.metric.overflow", AttrValue{true}}}; }

template <class Key, class Agg>
class MetricStream {
 public:
  using Config = typename Agg::Config;
  using Cell = SeriesCell<Agg>;
  // Turns a worker key into the point's attributes; called at collection only.
  using AttributesFn = std::function<Attributes(const Key&)>;

  MetricStream(StreamDescriptor desc, std::shared_ptr<const Config> cfg, AttributesFn attributes,
               core::Rng& rng, std::uint64_t creation_time_unix_nano, bool exemplars = true)
      : desc_(std::move(desc)),
        cfg_(or_default<Agg>(std::move(cfg))),
        attributes_(std::move(attributes)),
        rng_(&rng),
        exemplars_(exemplars),
        last_collect_(creation_time_unix_nano) {}

  // Adds one worker's delta. Series beyond the cardinality limit (counted per stream, across
  // workers) go to the overflow series; cumulative streams keep the series they already have.
  void merge(const Delta<Key, Agg>& d) {
    for (const auto& s : d.series) {
      Entry* e = find_or_add(s.key, s.hash);
      Cell& into = e != nullptr ? e->cell : overflow_cell();
      merge_cell(into, s.cell, d.start_time_unix_nano,
                 e != nullptr ? &e->start_time_unix_nano : &overflow_start_);
    }
    if (d.overflow)
      merge_cell(overflow_cell(), *d.overflow, d.start_time_unix_nano, &overflow_start_);
  }

  // The stream's points as of now_unix_nano (the collection time = every point's time).
  Metric collect(std::uint64_t now_unix_nano) {
    const bool delta = desc_.temporality == AggregationTemporality::kDelta;
    std::vector<typename Agg::Point> points;
    points.reserve(entries_.size() + (overflow_ ? 1 : 0));
    auto emit = [&](const Cell& c, std::uint64_t series_start, Attributes attrs) {
      if (c.agg.empty()) return;
      if (delta && !c.touched) return;
      typename Agg::Point p;
      p.attributes = std::move(attrs);
      p.start_time_unix_nano = delta ? last_collect_ : series_start;
      p.time_unix_nano = now_unix_nano;
      c.agg.fill(p);
      c.reservoir.collect(p.exemplars);
      points.push_back(std::move(p));
    };
    for (const Entry& e : entries_) emit(e.cell, e.start_time_unix_nano, attributes_(e.key));
    if (overflow_) emit(*overflow_, overflow_start_, overflow_attributes());

    if (delta) {
      entries_.clear();
      index_.clear();
      overflow_.reset();
    } else {
      for (Entry& e : entries_) {
        e.cell.reservoir.reset();
        e.cell.touched = false;
      }
      if (overflow_) {
        overflow_->reservoir.reset();
        overflow_->touched = false;
      }
    }
    last_collect_ = now_unix_nano;

    Metric m;
    m.name = desc_.name;
    m.description = desc_.description;
    m.unit = desc_.unit;
    m.data = Agg::make_data(std::move(points), desc_.temporality, is_monotonic(desc_.kind));
    return m;
  }

  const StreamDescriptor& descriptor() const { return desc_; }
  std::size_t series_count() const { return entries_.size(); }
  bool has_overflow() const { return overflow_.has_value(); }

 private:
  struct Entry {
    Key key;
    std::uint64_t hash;
    Cell cell;
    std::uint64_t start_time_unix_nano;
  };

  Entry* find_or_add(const Key& key, std::uint64_t hash) {
    const std::uint32_t pos =
        index_.find(key, hash, [this](std::uint32_t i) -> const Key& { return entries_[i].key; });
    if (pos != KeyIndex<Key>::kNone) return &entries_[pos];
    if (entries_.size() >= desc_.cardinality_limit) return nullptr;
    entries_.push_back(Entry{key, hash, Cell(cfg_, exemplars_), 0});
    index_.insert(hash, static_cast<std::uint32_t>(entries_.size() - 1));
    return &entries_.back();
  }
  Cell& overflow_cell() {
    if (!overflow_) overflow_.emplace(cfg_, exemplars_);
    return *overflow_;
  }
  void merge_cell(Cell& into, const Cell& from, std::uint64_t delta_start, std::uint64_t* start) {
    if (!from.touched) return;
    const bool is_new = into.agg.empty() && !into.touched;
    into.merge(from, *rng_);
    // Start time of a cumulative series: its first measurement; without a measurement time,
    // the start of the interval it was first seen in (or the stream's creation).
    std::uint64_t first = from.first_time_unix_nano;
    if (first == 0) first = delta_start != 0 ? delta_start : last_collect_;
    if (is_new || first < *start) *start = first;
  }

  StreamDescriptor desc_;
  std::shared_ptr<const Config> cfg_;
  AttributesFn attributes_;
  core::Rng* rng_;
  bool exemplars_;
  std::vector<Entry> entries_;
  KeyIndex<Key> index_;
  std::optional<Cell> overflow_;
  std::uint64_t overflow_start_ = 0;
  std::uint64_t last_collect_;
};

}  // namespace loadgen::otel::metrics
