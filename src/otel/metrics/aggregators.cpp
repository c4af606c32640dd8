// Explicit bucket histogram aggregation (metrics/sdk.md "Explicit Bucket Histogram Aggregation").
#include "otel/metrics/aggregators.hpp"

#include <cassert>

namespace loadgen::otel::metrics {

std::vector<double> default_explicit_bounds() {
  return {0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
}

std::vector<double> http_duration_bounds() {
  return {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
}

std::shared_ptr<const ExplicitHistogramConfig> make_explicit_config(std::vector<double> bounds,
                                                                    bool record_min_max) {
  assert(std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>()) == bounds.end());
  auto c = std::make_shared<ExplicitHistogramConfig>();
  c->bounds = std::make_shared<const std::vector<double>>(std::move(bounds));
  c->record_min_max = record_min_max;
  return c;
}

ExplicitHistogramAggregator::ExplicitHistogramAggregator(std::shared_ptr<const Config> cfg)
    : cfg_(cfg ? std::move(cfg) : make_explicit_config(default_explicit_bounds())),
      counts_(cfg_->bounds->size() + 1) {}

void ExplicitHistogramAggregator::merge(const ExplicitHistogramAggregator& d) {
  assert(d.counts_.size() == counts_.size());
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += d.counts_[i];
  count_ += d.count_;
  sum_ += d.sum_;
  negative_ |= d.negative_;
  min_ = std::min(min_, d.min_);
  max_ = std::max(max_, d.max_);
}

void ExplicitHistogramAggregator::reset() {
  std::fill(counts_.begin(), counts_.end(), std::uint64_t{0});
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
  negative_ = false;
}

void ExplicitHistogramAggregator::fill(HistogramDataPoint& p) const {
  p.count = count_;
  p.bucket_counts = counts_;
  p.explicit_bounds = *cfg_->bounds;
  p.sum = negative_ ? std::nullopt : std::optional<double>(sum_);
  if (cfg_->record_min_max && count_ > 0) {
    p.min = min_;
    p.max = max_;
  } else {
    p.min.reset();
    p.max.reset();
  }
}

}  // namespace loadgen::otel::metrics
