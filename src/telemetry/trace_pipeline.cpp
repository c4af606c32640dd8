#include "telemetry/trace_pipeline.hpp"

#include <utility>

#include "telemetry/batch_pipeline_impl.hpp"
#include "telemetry/file_exporter.hpp"
#include "telemetry/otlp_transport.hpp"

namespace loadgen::telemetry {

template class ExporterThread<otel::ResourceSpans>;
template class BatchPipeline<TraceSignal>;

otel::ResourceSpans TraceSignal::make_batch(otel::Resource resource,
                                            otel::InstrumentationScope scope) {
  otel::ScopeSpans ss;
  ss.schema_url = resource.schema_url;
  ss.scope = std::move(scope);
  otel::ResourceSpans rs;
  rs.resource = std::move(resource);
  rs.scope_spans.push_back(std::move(ss));
  return rs;
}

Exporters make_exporters(const otel::TracesConfig& config, net::EventLoop& loop,
                         core::LogSink* log) {
  Exporters out;
  for (otel::ExporterKind kind : config.exporters.kinds) {
    switch (kind) {
      case otel::ExporterKind::kOtlp:
        out.push_back(std::make_unique<OtlpSpanExporter>(
            make_otlp_transport(loop, config.otlp, kTracesCodec, log)));
        break;
      case otel::ExporterKind::kConsole:
        out.push_back(std::make_unique<ConsoleSpanExporter>(stderr));
        break;
      case otel::ExporterKind::kOtlpStdout:
        out.push_back(std::make_unique<OtlpFileSpanExporter>(stdout, log));
        break;
      case otel::ExporterKind::kOtlpFile:
        out.push_back(std::make_unique<OtlpFileSpanExporter>(config.exporters.otlp_file_path, log));
        break;
      case otel::ExporterKind::kPrometheus:
        break;  // metrics only
    }
  }
  return out;
}

}  // namespace loadgen::telemetry
