#include "telemetry/file_exporter.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "otel/otlp_json.hpp"

namespace loadgen::telemetry {

OtlpFileSpanExporter::OtlpFileSpanExporter(std::string path, core::LogSink* log)
    : path_(std::move(path)), log_(log) {}

OtlpFileSpanExporter::OtlpFileSpanExporter(std::FILE* stream, core::LogSink* log)
    : path_("<stream>"), file_(stream), log_(log) {}

OtlpFileSpanExporter::~OtlpFileSpanExporter() { shutdown(); }

void OtlpFileSpanExporter::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (file_ && owns_file_) std::fclose(file_);
  else if (file_) std::fflush(file_);
  file_ = nullptr;
}

ExportResult OtlpFileSpanExporter::fail(std::string message) {
  if (!reported_ && log_) {
    log_->log(core::LogLevel::kError,
              fmt::format("OTLP file exporter: {} (further errors are not reported)", message));
  }
  reported_ = true;
  return ExportResult{ExportResult::Code::kFailure, std::move(message), 0, 0};
}

core::Task<ExportResult> OtlpFileSpanExporter::export_batch(
    const std::vector<otel::ResourceSpans>& batch, Clock::time_point /*deadline*/) {
  if (shut_down_) co_return ExportResult{ExportResult::Code::kFailure, "exporter is shut down", 0, 0};
  if (!file_) {
    file_ = std::fopen(path_.c_str(), "ae");  // append, close-on-exec
    if (!file_) co_return fail(fmt::format("cannot open {}: {}", path_, std::strerror(errno)));
    owns_file_ = true;
  }
  // ExportTraceServiceRequest and TracesData share their JSON layout (resourceSpans).
  otel::encode_export_trace_request_json(batch, line_);
  if (line_.empty() || line_ == "{}") co_return ExportResult{};
  line_.push_back('\n');
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size() || std::fflush(file_) != 0)
    co_return fail(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  co_return ExportResult{};
}

namespace {

void append_hex(std::string& out, const std::uint8_t* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 0xF]);
  }
}

std::string_view kind_name(otel::SpanKind k) {
  switch (k) {
    case otel::SpanKind::kUnspecified: return "UNSPECIFIED";
    case otel::SpanKind::kInternal: return "INTERNAL";
    case otel::SpanKind::kServer: return "SERVER";
    case otel::SpanKind::kClient: return "CLIENT";
    case otel::SpanKind::kProducer: return "PRODUCER";
    case otel::SpanKind::kConsumer: return "CONSUMER";
  }
  return "?";
}

std::string_view status_name(otel::StatusCode s) {
  switch (s) {
    case otel::StatusCode::kUnset: return "UNSET";
    case otel::StatusCode::kOk: return "OK";
    case otel::StatusCode::kError: return "ERROR";
  }
  return "?";
}

void append_value(std::string& out, const otel::AttrValue& v) {
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    otel::append_json_string(out, *s);
  } else if (const auto* b = std::get_if<bool>(&v.v)) {
    out += *b ? "true" : "false";
  } else if (const auto* i = std::get_if<std::int64_t>(&v.v)) {
    out += fmt::format("{}", *i);
  } else if (const auto* d = std::get_if<double>(&v.v)) {
    out += fmt::format("{}", *d);
  } else if (const auto* a = std::get_if<otel::AttrArray>(&v.v)) {
    out.push_back('[');
    for (std::size_t k = 0; k < a->size(); ++k) {
      if (k) out.push_back(',');
      append_value(out, (*a)[k]);
    }
    out.push_back(']');
  }
}

}  // namespace

std::string ConsoleSpanExporter::format_span(const otel::SpanData& s) {
  std::string out = "span ";
  otel::append_json_string(out, s.name);
  out += " trace_id=";
  append_hex(out, s.trace_id.data(), s.trace_id.size());
  out += " span_id=";
  append_hex(out, s.span_id.data(), s.span_id.size());
  out += " parent=";
  append_hex(out, s.parent_span_id.data(), s.parent_span_id.size());
  const double ms = s.end_time_unix_nano >= s.start_time_unix_nano
                        ? static_cast<double>(s.end_time_unix_nano - s.start_time_unix_nano) / 1e6
                        : 0.0;
  out += fmt::format(" kind={} duration_ms={:.3f} status={}", kind_name(s.kind), ms,
                     status_name(s.status_code));
  if (!s.status_message.empty()) {
    out += " status_message=";
    otel::append_json_string(out, s.status_message);
  }
  out += " attributes={";
  for (std::size_t k = 0; k < s.attributes.size(); ++k) {
    if (k) out.push_back(',');
    out += s.attributes[k].key;
    out.push_back('=');
    append_value(out, s.attributes[k].value);
  }
  out.push_back('}');
  if (!s.events.empty()) out += fmt::format(" events={}", s.events.size());
  return out;
}

core::Task<ExportResult> ConsoleSpanExporter::export_batch(
    const std::vector<otel::ResourceSpans>& batch, Clock::time_point /*deadline*/) {
  std::string text;
  for (const auto& rs : batch)
    for (const auto& ss : rs.scope_spans)
      for (const auto& span : ss.spans) {
        text += format_span(span);
        text.push_back('\n');
      }
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
  co_return ExportResult{};
}

}  // namespace loadgen::telemetry
