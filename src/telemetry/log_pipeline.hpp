// LogPipeline: the batch log-record processor (logs/sdk.md "Batching processor", OTEL_BLRP_*)
// over the engine's per-worker log buffers and the app's own messages, and the log exporters
// OTEL_LOGS_EXPORTER selects.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "otel/env_config.hpp"
#include "otel/log_data.hpp"
#include "otel/log_source.hpp"
#include "telemetry/batch_pipeline.hpp"

namespace loadgen::telemetry {

struct LogSignal {
  using Item = otel::LogRecord;
  using Batch = otel::ResourceLogs;
  using Source = otel::LogSource;
  static constexpr std::string_view kName = "log";
  static constexpr std::string_view kItems = "log records";
  static Batch make_batch(otel::Resource resource, otel::InstrumentationScope scope);
  static std::vector<Item>& items(Batch& b) { return b.scope_logs.front().log_records; }
  using Queue = ItemQueue<LogSignal>;
};

extern template class BatchPipeline<LogSignal>;

using LogExporters = ExporterList<otel::ResourceLogs>;

// kOtlp → OTLP (grpc, http/protobuf or http/json), kConsole → ConsoleLogExporter(stderr),
// kOtlpStdout → OTLP JSON lines on stdout, kOtlpFile → OTLP JSON lines appended to the path.
LogExporters make_log_exporters(const otel::LogsConfig& config, net::EventLoop& loop,
                                core::LogSink* log);

class LogPipeline : public BatchPipeline<LogSignal> {
 public:
  LogPipeline(const otel::LogsConfig& config, otel::Resource resource, otel::LogSource& source,
              core::LogSink* log)
      : BatchPipeline<LogSignal>(
            PipelineConfig{config.batch, config.otlp}, std::move(resource), source, log,
            [config, log](net::EventLoop& loop) { return make_log_exporters(config, loop, log); }) {
  }
};

// OTEL_LOGS_EXPORTER=console: one readable line per record (time, severity, trace/span id,
// body, attributes). Debugging aid; the format is not stable.
class ConsoleLogExporter final : public LogExporter {
 public:
  explicit ConsoleLogExporter(std::FILE* out = stderr) : out_(out) {}
  core::Task<ExportResult> export_batch(const std::vector<otel::ResourceLogs>& batch,
                                        Clock::time_point deadline) override;
  void shutdown() override { std::fflush(out_); }
  std::string_view name() const override { return "console"; }
  static std::string format_record(const otel::LogRecord& r);

 private:
  std::FILE* out_;
};

}  // namespace loadgen::telemetry
