// SpanSource: where the exporter pipeline gets finished spans from. The engine implements it
// over its workers' span buffers (each worker owns its buffer; drain() asks every worker for
// its spans by message, so nothing on the request path locks). drain() is called from the
// exporter thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "otel/client_span.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel {

// What one drain hands over, and the emptied CLIENT-span buffers it may hand back to the
// recorders (so that a steady stream of batches allocates nothing).
struct SpanDrain {
  std::vector<SpanData> spans;                       // out
  std::vector<std::unique_ptr<ClientSpans>> client;  // out: compact CLIENT spans, in buffers
  std::vector<std::unique_ptr<ClientSpans>> spare;   // in: empty buffers to reuse (may be taken)
  std::uint64_t dropped = 0;                         // out: dropped in full buffers
};

class SpanSource {
 public:
  // Appends the spans finished since the last call to `out`, and adds to `dropped` the number
  // of spans the buffers had to drop because they were full. May wait briefly for workers.
  virtual void drain(std::vector<SpanData>& out, std::uint64_t& dropped) = 0;
  // The same, CLIENT spans left compact in out.client. Default: drain() above.
  virtual void drain_into(SpanDrain& out) { drain(out.spans, out.dropped); }
  // The batch processor's trigger (trace/sdk.md: export when max_export_batch_size spans are
  // queued): from now on the source calls `ready` (thread-safe and cheap, from any thread) when
  // a buffer holds about `batch` spans, at most once per buffer between two drains, so that
  // the pipeline drains at once rather than at its next poll. A source that cannot tell
  // ignores it (the pipeline still polls). Call once, before the first drain.
  virtual void on_batch_ready(std::size_t batch, std::function<void()> ready) {
    (void)batch;
    (void)ready;
  }

 protected:
  ~SpanSource() = default;
};

}  // namespace loadgen::otel
