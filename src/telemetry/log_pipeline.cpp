#include "telemetry/log_pipeline.hpp"

#include <fmt/format.h>

#include <memory>
#include <utility>
#include <variant>

#include "otel/ids.hpp"
#include "telemetry/batch_pipeline_impl.hpp"
#include "telemetry/file_exporter.hpp"
#include "telemetry/otlp_transport.hpp"

namespace loadgen::telemetry {

template class ExporterThread<otel::ResourceLogs>;
template class BatchPipeline<LogSignal>;

otel::ResourceLogs LogSignal::make_batch(otel::Resource resource,
                                         otel::InstrumentationScope scope) {
  otel::ScopeLogs sl;
  sl.schema_url = resource.schema_url;
  sl.scope = std::move(scope);
  otel::ResourceLogs rl;
  rl.resource = std::move(resource);
  rl.scope_logs.push_back(std::move(sl));
  return rl;
}

LogExporters make_log_exporters(const otel::LogsConfig& config, net::EventLoop& loop,
                                core::LogSink* log) {
  LogExporters out;
  if (config.sdk_disabled) return out;
  for (otel::ExporterKind kind : config.exporters.kinds) {
    switch (kind) {
      case otel::ExporterKind::kOtlp:
        out.push_back(std::make_unique<OtlpLogExporter>(
            make_otlp_transport(loop, config.otlp, kLogsCodec, log)));
        break;
      case otel::ExporterKind::kConsole:
        out.push_back(std::make_unique<ConsoleLogExporter>(stderr));
        break;
      case otel::ExporterKind::kOtlpStdout:
        out.push_back(std::make_unique<OtlpFileLogExporter>(stdout, log));
        break;
      case otel::ExporterKind::kOtlpFile:
        out.push_back(std::make_unique<OtlpFileLogExporter>(config.exporters.otlp_file_path, log));
        break;
      case otel::ExporterKind::kPrometheus:
        break;  // metrics only
    }
  }
  return out;
}

std::string ConsoleLogExporter::format_record(const otel::LogRecord& r) {
  std::string out =
      fmt::format("log {} {}", r.time_unix_nano, r.severity_text.empty() ? "-" : r.severity_text);
  if (otel::is_valid(r.trace_id)) {
    out +=
        fmt::format(" trace_id={} span_id={}", otel::to_hex(r.trace_id), otel::to_hex(r.span_id));
  }
  if (r.body) {
    if (const auto* s = std::get_if<std::string>(&r.body->v)) out += fmt::format(" body={:?}", *s);
  }
  for (const auto& a : r.attributes) {
    if (const auto* s = std::get_if<std::string>(&a.value.v)) {
      out += fmt::format(" {}={:?}", a.key, *s);
    } else if (const auto* i = std::get_if<std::int64_t>(&a.value.v)) {
      out += fmt::format(" {}={}", a.key, *i);
    }
  }
  return out;
}

core::Task<ExportResult> ConsoleLogExporter::export_batch(
    const std::vector<otel::ResourceLogs>& batch, Clock::time_point /*deadline*/) {
  std::string text;
  for (const auto& rl : batch)
    for (const auto& sl : rl.scope_logs)
      for (const auto& r : sl.log_records) {
        text += format_record(r);
        text.push_back('\n');
      }
  std::fwrite(text.data(), 1, text.size(), out_);
  co_return ExportResult{};
}

}  // namespace loadgen::telemetry
