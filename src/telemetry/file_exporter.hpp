// OtlpFileSpanExporter: OTLP/JSON lines (one TracesData object per batch, the OTLP file
// exporter format) appended to a file (LOADGEN_OTLP_FILE) or written to a stream (stdout for
// "otlp/stdout"), flushed per batch. Errors are reported once through the LogSink.
// Thread: the pipeline's exporter thread.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "core/log_sink.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry {

class OtlpFileSpanExporter final : public SpanExporter {
 public:
  // Opens `path` for appending (created if missing) on the first export.
  OtlpFileSpanExporter(std::string path, core::LogSink* log);
  // Writes to `stream`, which the caller keeps open.
  OtlpFileSpanExporter(std::FILE* stream, core::LogSink* log);
  ~OtlpFileSpanExporter() override;

  core::Task<ExportResult> export_batch(const std::vector<otel::ResourceSpans>& batch,
                                        Clock::time_point deadline) override;
  void shutdown() override;
  std::string_view name() const override { return "otlp file"; }

 private:
  ExportResult fail(std::string message);

  std::string path_;
  std::FILE* file_ = nullptr;
  bool owns_file_ = false;
  core::LogSink* log_;
  bool reported_ = false;
  bool shut_down_ = false;
  std::string line_;
};

// ConsoleSpanExporter: one readable line per span (name, ids, kind, duration, status,
// attributes) for OTEL_TRACES_EXPORTER=console. Debugging aid; the format is not stable.
class ConsoleSpanExporter final : public SpanExporter {
 public:
  explicit ConsoleSpanExporter(std::FILE* out = stderr) : out_(out) {}
  core::Task<ExportResult> export_batch(const std::vector<otel::ResourceSpans>& batch,
                                        Clock::time_point deadline) override;
  void shutdown() override { std::fflush(out_); }
  std::string_view name() const override { return "console"; }

  // The line written for one span (no newline).
  static std::string format_span(const otel::SpanData& span);

 private:
  std::FILE* out_;
};

}  // namespace loadgen::telemetry
