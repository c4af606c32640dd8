// MetricSource: what the periodic metric reader collects from (the engine's request metrics,
// the app's observable gauges and counters). Called on the metrics thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "otel/metric_data.hpp"

namespace loadgen::otel {

class MetricSource {
 public:
  // Appends the metrics as of now_unix_nano (every point's time) to `out`.
  virtual void collect(std::vector<Metric>& out, std::uint64_t now_unix_nano) = 0;

 protected:
  ~MetricSource() = default;
};

}  // namespace loadgen::otel
