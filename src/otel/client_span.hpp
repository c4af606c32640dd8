// ClientSpans: the CLIENT spans of HTTP requests as a worker records them (fixed fields and
// offsets into one text buffer, no allocation per request), handed to the trace pipeline as
// they are. The OTLP protobuf encoder writes them straight into the request bytes
// (ClientSpanEncoder, otlp_proto.hpp); every other consumer turns them into SpanData with
// append_span_data. Both give one meaning: the stable HTTP client semantic conventions.
// Plain values; a ClientSpans is written by one thread, then handed over (by message) whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otel/env_config.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel {

// One physical HTTP request (one redirect hop). Texts are [off, off + len) of ClientSpans::text.
struct ClientSpanRecord {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};
  std::int64_t start_wall_ns = 0;
  std::int64_t end_wall_ns = 0;
  std::string_view method;      // http.request.method and the span name; static storage
  std::string_view error_type;  // error.type of a failure that is not an HTTP status; static
  std::uint32_t url_off = 0, url_len = 0;          // url.full
  std::uint32_t address_off = 0, address_len = 0;  // server.address
  std::uint32_t message_off = 0, message_len = 0;  // Status.message ("<kind>: <detail>")
  std::uint32_t state_off = 0, state_len = 0;      // W3C tracestate ("ot=th:..")
  std::uint16_t port = 0;                          // server.port
  std::uint16_t status = 0;                        // http.response.status_code; 0: none
  std::uint16_t resend_count = 0;                  // http.request.resend_count; 0: not written
  std::uint8_t trace_flags = 0;                    // W3C trace flags
  // Status ERROR with error.type: error_type, or the status code when error_type is empty
  // (an HTTP error status, which has no Status.message).
  bool error = false;
};

// What every CLIENT span of one recorder shares (immutable once built).
struct ClientSpanSettings {
  std::optional<std::string> user_agent;  // user_agent.original; unset: not written
  std::optional<SpanLimits> limits;       // attribute limits; unset: none applied
};

// A recorder's CLIENT spans since its last hand-over.
struct ClientSpans {
  std::vector<ClientSpanRecord> records;
  std::string text;
  std::shared_ptr<const ClientSpanSettings> settings;  // null: as a default ClientSpanSettings
  std::string_view text_of(std::uint32_t off, std::uint32_t len) const {
    return std::string_view(text).substr(off, len);
  }
  void clear() {
    records.clear();
    text.clear();
  }
};

// The most attributes a CLIENT span has (append_span_data's list).
inline constexpr std::uint32_t kClientSpanMaxAttributes = 9;

// Appends records [first, first + count) of `spans` as SpanData: name "{method}", kind CLIENT,
// SpanFlags 0x100 | trace flags, attributes http.request.method, url.full, server.address,
// server.port, network.protocol.version ("1.1"), then when set http.response.status_code,
// http.request.resend_count, user_agent.original, error.type; Status ERROR on a failure; the
// settings' limits applied.
void append_span_data(const ClientSpans& spans, std::size_t first, std::size_t count,
                      std::vector<SpanData>& out);

// `batch` itself when it holds no ClientSpanRange; otherwise `scratch`, filled with a copy of
// it whose CLIENT spans are appended to each scope's `spans` as SpanData (for the encoders and
// exporters that read SpanData only: OTLP/JSON, the console).
const std::vector<ResourceSpans>& with_client_spans_as_span_data(
    const std::vector<ResourceSpans>& batch, std::vector<ResourceSpans>& scratch);

}  // namespace loadgen::otel
