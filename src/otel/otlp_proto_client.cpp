// TraceRequestEncoder (otlp_proto.hpp): ExportTraceServiceRequest with the compact CLIENT spans
// (client_span.hpp) written straight from their records. The bytes are those of
// append_span_data + write_span: the same fields in the same order, the attributes in
// append_span_data's order, each KeyValue as write_attributes writes it.
#include <cassert>
#include <charconv>
#include <cstring>

#include "core/utf8.hpp"
#include "otel/otlp_proto.hpp"
#include "otel/otlp_proto_common.hpp"

namespace loadgen::otel {

namespace {

using namespace proto_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

constexpr std::uint32_t kSpanAttributes = 9;  // Span.attributes
constexpr std::size_t kMaxCached = 64;        // entries per cache (origins can be many)

// Attribute keys written by write_client_span: ASCII literals shorter than 128 bytes, so
// written as they are (no UTF-8 check) behind a one-byte length.
constexpr std::string_view kUrlFull = "url.full";
constexpr std::string_view kStatusCode = "http.response.status_code";
constexpr std::string_view kResendCount = "http.request.resend_count";
constexpr std::string_view kErrorType = "error.type";

// Span.attributes KeyValue {1 key, 2 value: AnyValue} with an `any`-byte AnyValue: its size,
// and its bytes up to the AnyValue's body.
constexpr std::size_t kv_body_size(std::string_view key, std::size_t any) {
  return len_field_size(1, key.size()) + len_field_size(2, any);
}
constexpr std::size_t kv_size(std::string_view key, std::size_t any) {
  return len_field_size(kSpanAttributes, kv_body_size(key, any));
}
inline char* put_kv_head(char* p, std::string_view key, std::size_t any) {
  p = put_tag(p, kSpanAttributes, WireType::kLen);
  p = put_varint(p, kv_body_size(key, any));
  p = put_len_field(p, 1, key);
  p = put_tag(p, 2, WireType::kLen);
  return put_varint(p, any);
}
// AnyValue.string_value (1) holding well-formed UTF-8; AnyValue.int_value (3).
constexpr std::size_t string_any_size(std::size_t n) { return len_field_size(1, n); }
constexpr std::size_t int_any_size(std::int64_t v) {
  return tag_size(3) + varint_size(static_cast<std::uint64_t>(v));
}
constexpr std::size_t string_attr_size(std::string_view key, std::size_t n) {
  return kv_size(key, string_any_size(n));
}
constexpr std::size_t int_attr_size(std::string_view key, std::int64_t v) {
  return kv_size(key, int_any_size(v));
}
inline char* put_string_attr(char* p, std::string_view key, std::string_view value) {
  p = put_kv_head(p, key, string_any_size(value.size()));
  return put_len_field(p, 1, value);
}
inline char* put_int_attr(char* p, std::string_view key, std::int64_t value) {
  p = put_kv_head(p, key, int_any_size(value));
  p = put_tag(p, 3, WireType::kVarint);
  return put_varint(p, static_cast<std::uint64_t>(value));
}

// One KeyValue of Span.attributes, as write_attributes writes it (for the cached ones, written
// once per key).
void write_string_attr(ProtobufWriter& w, std::string_view key, std::string_view value) {
  const auto kv = w.begin_message(kSpanAttributes);
  w.string_field(1, key);
  const auto any = w.begin_message(2);
  w.string_field(1, value);  // AnyValue.string_value
  w.end_message(any);
  w.end_message(kv);
}
void write_int_attr(ProtobufWriter& w, std::string_view key, std::int64_t value) {
  const auto kv = w.begin_message(kSpanAttributes);
  w.string_field(1, key);
  const auto any = w.begin_message(2);
  w.int64_field(3, value);  // AnyValue.int_value
  w.end_message(any);
  w.end_message(kv);
}

// The 8 or 4 bytes of t at i (i + 8 or i + 4 <= t.size()).
inline std::uint64_t load8(std::string_view t, std::size_t i) {
  std::uint64_t v = 0;
  std::memcpy(&v, t.data() + i, 8);
  return v;
}
inline std::uint32_t load4(std::string_view t, std::size_t i) {
  std::uint32_t v = 0;
  std::memcpy(&v, t.data() + i, 4);
  return v;
}

// Well-formed UTF-8 (core::is_valid_utf8)? ASCII, which nearly every URL is, is told here 8
// bytes at a time (the last 8 overlapping), without a call.
inline bool is_well_formed(std::string_view t) {
  const std::size_t n = t.size();
  bool ascii = true;
  if (n >= 8) {
    std::uint64_t high = load8(t, n - 8);
    for (std::size_t i = 0; i + 8 < n; i += 8) high |= load8(t, i);
    ascii = (high & 0x8080808080808080ULL) == 0;
  } else {
    for (const char c : t) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  }
  return ascii || core::is_valid_utf8(t);
}

// a == b, inline for the caches' short keys (a method, a host name, a User-Agent).
inline bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (load8(a, i) != load8(b, i)) return false;
    }
    return load8(a, n - 8) == load8(b, n - 8);
  }
  if (n >= 4) return load4(a, 0) == load4(b, 0) && load4(a, n - 4) == load4(b, n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The limits leave a CLIENT span as it is: at most kClientSpanMaxAttributes attributes, no
// length limit.
bool limits_never_bite(const ClientSpanSettings* settings) {
  if (settings == nullptr || !settings->limits) return true;
  return settings->limits->attribute_count_limit >= kClientSpanMaxAttributes &&
         !settings->limits->attribute_value_length_limit;
}

}  // namespace

void TraceRequestEncoder::encode(const std::vector<ResourceSpans>& batch, std::string& out) {
  encode_envelopes(batch, out, write_span, [this](ProtobufWriter& w, const ScopeSpans& s) {
    for (const ClientSpanRange& r : s.client_spans)
      write_client_spans(w, *r.spans, r.first, r.count);
  });
}

void TraceRequestEncoder::write_client_spans(ProtobufWriter& w, const ClientSpans& spans,
                                             std::size_t first, std::size_t count) {
  if (!limits_never_bite(spans.settings.get())) {
    // Rare (OTEL_SPAN_ATTRIBUTE_*_LIMIT set low): through SpanData, where the limits live.
    for (std::size_t i = first; i < first + count; ++i) {
      limited_.clear();
      append_span_data(spans, i, 1, limited_);
      const auto m = w.begin_message(2, 2);  // ScopeSpans.spans
      write_span(w, limited_.front());
      w.end_message(m);
    }
    return;
  }
  // user_agent.original: one for all the spans of a recorder (its settings).
  const std::string* agent_kv = spans.settings && spans.settings->user_agent
                                    ? &cached(agents_, last_agent_, *spans.settings->user_agent, 0)
                                    : nullptr;
  for (std::size_t i = first; i < first + count; ++i)
    write_client_span(w, spans, spans.records[i], agent_kv);
}

// The last entry used, checked inline: consecutive spans nearly always share method and origin.
inline const std::string& TraceRequestEncoder::cached(std::vector<Cached>& cache, std::size_t& last,
                                                      std::string_view key, std::uint16_t port) {
  if (last < cache.size() && cache[last].port == port && same_text(cache[last].key, key))
    return cache[last].bytes;
  return cache_miss(cache, last, key, port);
}

const std::string& TraceRequestEncoder::cache_miss(std::vector<Cached>& cache, std::size_t& last,
                                                   std::string_view key, std::uint16_t port) {
  const auto hit = [&](const Cached& c) { return c.port == port && same_text(c.key, key); };
  for (std::size_t i = 0; i < cache.size(); ++i) {
    if (hit(cache[i])) {
      last = i;
      return cache[i].bytes;
    }
  }
  if (cache.size() < kMaxCached) {
    last = cache.size();
    cache.emplace_back();
  } else {
    last = next_victim_++ % kMaxCached;
  }
  Cached& c = cache[last];
  c.key.assign(key);
  c.port = port;
  c.bytes.clear();
  ProtobufWriter w(c.bytes);
  if (&cache == &methods_) {
    write_string_attr(w, "http.request.method", key);
  } else if (&cache == &origins_) {
    write_string_attr(w, "server.address", key);
    write_int_attr(w, "server.port", std::int64_t{port});
    write_string_attr(w, "network.protocol.version", "1.1");
  } else {
    write_string_attr(w, "user_agent.original", key);
  }
  return c.bytes;
}

// write_span(append_span_data(r)) without the SpanData, in two passes: the exact size of the
// Span message first, then its bytes through a cursor into space grown once (no length
// prefix to back-patch, no append per field).
void TraceRequestEncoder::write_client_span(ProtobufWriter& w, const ClientSpans& spans,
                                            const ClientSpanRecord& r,
                                            const std::string* agent_kv) {
  // The texts, as proto3 strings: as recorded when well-formed UTF-8 (nearly always);
  // otherwise repaired as ProtobufWriter::string_field does (ill-formed -> U+FFFD).
  char digits[8];  // error.type of an HTTP error status: the status code
  std::string_view error_type = r.error_type;
  if (r.error && error_type.empty()) {
    const auto end = std::to_chars(digits, digits + sizeof digits, r.status).ptr;
    error_type = std::string_view(digits, static_cast<std::size_t>(end - digits));
  }
  std::string_view texts[] = {
      spans.text_of(r.state_off, r.state_len),  // trace_state
      r.method,                                 // name
      spans.text_of(r.url_off, r.url_len),      // url.full
      r.error ? error_type : std::string_view(),
      r.error ? spans.text_of(r.message_off, r.message_len) : std::string_view(),  // Status.message
  };
  bool all_well_formed = true;
  for (const std::string_view t : texts) all_well_formed = all_well_formed && is_well_formed(t);
  if (!all_well_formed) repair(texts);
  const auto [state, name, url, type, message] = texts;

  const std::string& method_kv = cached(methods_, last_method_, r.method, 0);
  const std::string& origin_kv =
      cached(origins_, last_origin_, spans.text_of(r.address_off, r.address_len), r.port);
  const std::uint64_t start = static_cast<std::uint64_t>(r.start_wall_ns);
  const std::uint64_t end = static_cast<std::uint64_t>(r.end_wall_ns);
  const bool has_parent = is_valid(r.parent_span_id);
  constexpr auto kClient = static_cast<std::uint64_t>(SpanKind::kClient);
  constexpr auto kError = static_cast<std::uint64_t>(StatusCode::kError);
  const std::size_t status_body =  // Status {2 message, 3 code}
      (message.empty() ? 0 : len_field_size(2, message.size())) + tag_size(3) + varint_size(kError);

  // Span fields 1..16 in number order, as write_span writes them.
  std::size_t body = len_field_size(1, r.trace_id.size()) + len_field_size(2, r.span_id.size());
  if (r.state_len > 0) body += len_field_size(3, state.size());
  if (has_parent) body += len_field_size(4, r.parent_span_id.size());
  if (!r.method.empty()) body += len_field_size(5, name.size());
  body += tag_size(6) + varint_size(kClient);
  if (start != 0) body += tag_size(7) + 8;
  if (end != 0) body += tag_size(8) + 8;
  body += method_kv.size() + string_attr_size(kUrlFull, url.size()) + origin_kv.size();
  if (r.status > 0) body += int_attr_size(kStatusCode, r.status);
  if (r.resend_count > 0) body += int_attr_size(kResendCount, r.resend_count);
  if (agent_kv != nullptr) body += agent_kv->size();
  if (r.error) body += string_attr_size(kErrorType, type.size()) + len_field_size(15, status_body);
  body += tag_size(16) + 4;  // flags

  const std::size_t total = len_field_size(2, body);  // ScopeSpans.spans
  char* const first = w.extend(total);
  char* p = put_tag(first, 2, WireType::kLen);
  p = put_varint(p, body);
  p = put_len_field(p, 1, {reinterpret_cast<const char*>(r.trace_id.data()), r.trace_id.size()});
  p = put_len_field(p, 2, {reinterpret_cast<const char*>(r.span_id.data()), r.span_id.size()});
  if (r.state_len > 0) p = put_len_field(p, 3, state);
  if (has_parent) {
    p = put_len_field(
        p, 4, {reinterpret_cast<const char*>(r.parent_span_id.data()), r.parent_span_id.size()});
  }
  if (!r.method.empty()) p = put_len_field(p, 5, name);
  p = put_tag(p, 6, WireType::kVarint);
  p = put_varint(p, kClient);
  if (start != 0) p = put_fixed64(put_tag(p, 7, WireType::kI64), start);
  if (end != 0) p = put_fixed64(put_tag(p, 8, WireType::kI64), end);
  p = put_bytes(p, method_kv);
  p = put_string_attr(p, kUrlFull, url);
  p = put_bytes(p, origin_kv);
  if (r.status > 0) p = put_int_attr(p, kStatusCode, r.status);
  if (r.resend_count > 0) p = put_int_attr(p, kResendCount, r.resend_count);
  if (agent_kv != nullptr) p = put_bytes(p, *agent_kv);
  if (r.error) {
    p = put_string_attr(p, kErrorType, type);
    p = put_tag(p, 15, WireType::kLen);
    p = put_varint(p, status_body);
    if (!message.empty()) p = put_len_field(p, 2, message);
    p = put_tag(p, 3, WireType::kVarint);
    p = put_varint(p, kError);
  }
  p = put_tag(p, 16, WireType::kI32);
  p = put_fixed32(p, r.trace_flags | 0x100u);  // flags: has is_remote, parent local
  assert(p == first + total);
  (void)p;
}

void TraceRequestEncoder::repair(std::span<std::string_view> texts) {
  std::size_t size = 0;
  for (const std::string_view t : texts) size += t.size();
  sanitized_.clear();
  // Every maximal ill-formed subpart (>= 1 byte) becomes 3 bytes: nothing grows more than
  // threefold, so the views into sanitized_ stay valid as it fills.
  sanitized_.reserve(3 * size);
  for (std::string_view& t : texts) {
    if (is_well_formed(t)) continue;
    const std::size_t at = sanitized_.size();
    core::append_utf8_sanitized(sanitized_, t);
    t = std::string_view(sanitized_).substr(at);
  }
}

}  // namespace loadgen::otel
