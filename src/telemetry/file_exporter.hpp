// OtlpFileExporter<Batch>: OTLP/JSON lines (one TracesData / LogsData / MetricsData object per
// batch, the OTLP file exporter format) appended to a file (LOADGEN_OTLP_[SIGNAL_]FILE) or
// written to a stream (stdout for "otlp/stdout"), flushed per batch. Errors are reported once
// through the LogSink.
// Thread: the pipeline's exporter thread.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/log_sink.hpp"
#include "telemetry/otlp_transport.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry {

// Appends whole lines to a file (opened on the first write, O_APPEND: one write(2) per line,
// so pipelines of several signals can share one file) or writes them to a stream.
class JsonLinesWriter {
 public:
  JsonLinesWriter(std::string path, core::LogSink* log);
  JsonLinesWriter(std::FILE* stream, core::LogSink* log);
  ~JsonLinesWriter();
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;
  // `line` ends with '\n'. Errors are reported once through the LogSink.
  ExportResult write(const std::string& line);
  void close();

 private:
  ExportResult fail(std::string message);
  std::string path_;
  std::FILE* stream_ = nullptr;  // stream mode
  int fd_ = -1;                  // file mode
  core::LogSink* log_;
  bool reported_ = false;
  bool closed_ = false;
};

template <class Batch>
class OtlpFileExporter final : public Exporter<Batch> {
 public:
  // Opens `path` for appending (created if missing) on the first export.
  OtlpFileExporter(std::string path, core::LogSink* log) : out_(std::move(path), log) {}
  // Writes to `stream`, which the caller keeps open.
  OtlpFileExporter(std::FILE* stream, core::LogSink* log) : out_(stream, log) {}

  core::Task<ExportResult> export_batch(const std::vector<Batch>& batch,
                                        Clock::time_point /*deadline*/) override {
    if (shut_down_)
      co_return ExportResult{ExportResult::Code::kFailure, "exporter is shut down", 0, 0};
    // Export<Signal>ServiceRequest and <Signal>Data share their JSON layout.
    encode_otlp_request(batch, /*json=*/true, line_);
    if (line_.empty() || line_ == "{}") co_return ExportResult{};
    line_.push_back('\n');
    co_return out_.write(line_);
  }
  void shutdown() override {
    shut_down_ = true;
    out_.close();
  }
  std::string_view name() const override { return "otlp file"; }

 private:
  JsonLinesWriter out_;
  std::string line_;
  bool shut_down_ = false;
};
using OtlpFileSpanExporter = OtlpFileExporter<otel::ResourceSpans>;
using OtlpFileLogExporter = OtlpFileExporter<otel::ResourceLogs>;
using OtlpFileMetricExporter = OtlpFileExporter<otel::ResourceMetrics>;

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
