// TracePipeline: the batch span processor (BatchPipeline over the engine's span buffers) and
// the span exporters OTEL_TRACES_EXPORTER selects.
#pragma once

#include <memory>
#include <vector>

#include "otel/env_config.hpp"
#include "otel/span_data.hpp"
#include "otel/span_source.hpp"
#include "telemetry/batch_pipeline.hpp"

namespace loadgen::telemetry {

struct TraceSignal {
  using Item = otel::SpanData;
  using Batch = otel::ResourceSpans;
  using Source = otel::SpanSource;
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
