// TracePipeline: the batch span processor (BatchPipeline over the engine's span buffers) and
// the span exporters OTEL_TRACES_EXPORTER selects.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "otel/client_span.hpp"
#include "otel/env_config.hpp"
#include "otel/span_data.hpp"
#include "otel/span_source.hpp"
#include "telemetry/batch_pipeline.hpp"

namespace loadgen::telemetry {

// The span queue: SpanData, and CLIENT spans left compact in the buffers the workers filled
// (otel::ClientSpans), handed to the exporters as ranges of those buffers; emptied buffers go
// back to the workers with the next drain. Exporter thread only.
class SpanQueue {
 public:
  std::size_t size() const { return spans_.size() + client_size_; }
  void drain_from(otel::SpanSource& source, std::uint64_t& dropped);
  void accept(std::size_t capacity, std::uint64_t& dropped);
  void take(std::size_t n, otel::ResourceSpans& batch);
  void release(otel::ResourceSpans& batch);
  void clear();

 private:
  void recycle(std::unique_ptr<otel::ClientSpans> buffer);

  std::deque<otel::SpanData> spans_;
  std::deque<std::unique_ptr<otel::ClientSpans>> client_;  // queued buffers, oldest first
  std::size_t head_ = 0;         // records of client_.front() already taken
  std::size_t client_size_ = 0;  // records queued in client_ (not taken)
  std::vector<std::unique_ptr<otel::ClientSpans>> taken_;  // used up by the batch in export
  otel::SpanDrain drained_;                                // drain_from's; its spare: free buffers
};

struct TraceSignal {
  using Item = otel::SpanData;
  using Batch = otel::ResourceSpans;
  using Source = otel::SpanSource;
  using Queue = SpanQueue;
  static constexpr std::string_view kName = "trace";
  static constexpr std::string_view kItems = "spans";
  static Batch make_batch(otel::Resource resource, otel::InstrumentationScope scope);
  static std::vector<Item>& items(Batch& b) { return b.scope_spans.front().spans; }
};

extern template class BatchPipeline<TraceSignal>;

using Exporters = ExporterList<otel::ResourceSpans>;
using ExporterFactory = ExporterFactoryOf<otel::ResourceSpans>;

// The exporters config.exporters selects: kOtlp → OtlpSpanExporter over make_otlp_transport
// (grpc, http/protobuf or http/json), as for metrics and logs; kConsole →
// ConsoleSpanExporter(stderr), kOtlpStdout → OtlpFileSpanExporter(stdout), kOtlpFile →
// OtlpFileSpanExporter(path); kPrometheus ignored.
Exporters make_exporters(const otel::TracesConfig& config, net::EventLoop& loop,
                         core::LogSink* log);

class TracePipeline : public BatchPipeline<TraceSignal> {
 public:
  TracePipeline(const otel::TracesConfig& config, otel::Resource resource, otel::SpanSource& source,
                core::LogSink* log)
      : TracePipeline(
            config, std::move(resource), source, log,
            [config, log](net::EventLoop& loop) { return make_exporters(config, loop, log); }) {}
  TracePipeline(const otel::TracesConfig& config, otel::Resource resource, otel::SpanSource& source,
                core::LogSink* log, ExporterFactory factory)
      : BatchPipeline<TraceSignal>(PipelineConfig{config.batch, config.otlp}, std::move(resource),
                                   source, log, std::move(factory)) {}
};

}  // namespace loadgen::telemetry
