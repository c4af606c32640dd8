// SpanSource: where the exporter pipeline gets finished spans from. The engine implements it
// over its workers' span buffers (each worker owns its buffer; drain() asks every worker for
// its spans by message, so nothing on the request path locks). Called from the exporter
// thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "otel/span_data.hpp"

namespace loadgen::otel {

class SpanSource {
 public:
  // Appends the spans finished since the last call to `out`, and adds to `dropped` the number
  // of spans the buffers had to drop because they were full. May wait briefly for workers.
  virtual void drain(std::vector<SpanData>& out, std::uint64_t& dropped) = 0;

 protected:
  ~SpanSource() = default;
};

}  // namespace loadgen::otel
