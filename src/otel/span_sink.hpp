// SpanSink: where finished spans go on a worker thread (the worker's own buffer). Called on
// the worker's thread only; never blocks: a full buffer drops and counts.
#pragma once

#include "otel/span_data.hpp"

namespace loadgen::otel {

class SpanSink {
 public:
  virtual void record(SpanData&& span) = 0;

 protected:
  ~SpanSink() = default;
};

}  // namespace loadgen::otel
