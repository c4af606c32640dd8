#include "telemetry/file_exporter.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/json_string.hpp"
#include "otel/client_span.hpp"
#include "otel/otlp_json.hpp"

namespace loadgen::telemetry {

JsonLinesWriter::JsonLinesWriter(std::string path, core::LogSink* log)
    : path_(std::move(path)), log_(log) {}

JsonLinesWriter::JsonLinesWriter(std::FILE* stream, core::LogSink* log)
    : path_("<stream>"), stream_(stream), log_(log) {}

JsonLinesWriter::~JsonLinesWriter() { close(); }

void JsonLinesWriter::close() {
  if (closed_) return;
  closed_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (stream_) std::fflush(stream_);
}

ExportResult JsonLinesWriter::fail(std::string message) {
  if (!reported_ && log_) {
    log_->log(core::LogLevel::kError,
              fmt::format("OTLP file exporter: {} (further errors are not reported)", message));
  }
  reported_ = true;
  return ExportResult{ExportResult::Code::kFailure, std::move(message), 0, 0};
}

ExportResult JsonLinesWriter::write(const std::string& line) {
  if (closed_) return ExportResult{ExportResult::Code::kFailure, "exporter is shut down", 0, 0};
  if (stream_) {
    if (std::fwrite(line.data(), 1, line.size(), stream_) != line.size() ||
        std::fflush(stream_) != 0)
      return fail(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
    return ExportResult{};
  }
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return fail(fmt::format("cannot open {}: {}", path_, std::strerror(errno)));
  }
  // One write(2) per line on an O_APPEND file: lines of other writers never interleave.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  return ExportResult{};
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
    case otel::SpanKind::kUnspecified:
      return "UNSPECIFIED";
    case otel::SpanKind::kInternal:
      return "INTERNAL";
    case otel::SpanKind::kServer:
      return "SERVER";
    case otel::SpanKind::kClient:
      return "CLIENT";
    case otel::SpanKind::kProducer:
      return "PRODUCER";
    case otel::SpanKind::kConsumer:
      return "CONSUMER";
  }
  return "?";
}

std::string_view status_name(otel::StatusCode s) {
  switch (s) {
    case otel::StatusCode::kUnset:
      return "UNSET";
    case otel::StatusCode::kOk:
      return "OK";
    case otel::StatusCode::kError:
      return "ERROR";
  }
  return "?";
}

void append_value(std::string& out, const otel::AttrValue& v) {
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    core::append_json_string(out, *s);
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
  core::append_json_string(out, s.name);
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
    core::append_json_string(out, s.status_message);
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
  std::vector<otel::ResourceSpans> scratch;  // compact CLIENT spans as SpanData
  for (const auto& rs : otel::with_client_spans_as_span_data(batch, scratch))
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
