// TraceRequestEncoder (otlp_proto.hpp): ExportTraceServiceRequest with the compact CLIENT spans
// (client_span.hpp) written straight from their records. The bytes are those of
// append_span_data + write_span: the same fields in the same order, the attributes in
// append_span_data's order, each KeyValue as write_attributes writes it.
#include <charconv>

#include "otel/otlp_proto.hpp"
#include "otel/otlp_proto_common.hpp"

namespace loadgen::otel {

namespace {

using namespace proto_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

constexpr std::uint32_t kSpanAttributes = 9;  // Span.attributes
constexpr std::size_t kMaxCached = 64;        // entries per cache (origins can be many)

// One KeyValue of Span.attributes, as write_attributes writes it.
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
  for (std::size_t i = first; i < first + count; ++i) write_client_span(w, spans, spans.records[i]);
}

const std::string& TraceRequestEncoder::cached(std::vector<Cached>& cache, std::size_t& last,
                                               std::string_view key, std::uint16_t port) {
  const auto hit = [&](const Cached& c) { return c.port == port && c.key == key; };
  if (last < cache.size() && hit(cache[last])) return cache[last].bytes;
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

// write_span(append_span_data(r)) without the SpanData.
void TraceRequestEncoder::write_client_span(ProtobufWriter& w, const ClientSpans& spans,
                                            const ClientSpanRecord& r) {
  std::string& out = w.out();
  const auto m = w.begin_message(2, 2);  // ScopeSpans.spans
  w.bytes_field(1, r.trace_id.data(), r.trace_id.size());
  w.bytes_field(2, r.span_id.data(), r.span_id.size());
  if (r.state_len > 0) w.string_field(3, spans.text_of(r.state_off, r.state_len));
  write_id_if_valid(w, 4, r.parent_span_id);
  if (!r.method.empty()) w.string_field(5, r.method);  // name
  w.uint32_field(6, static_cast<std::uint32_t>(SpanKind::kClient));
  write_fixed64_if(w, 7, static_cast<std::uint64_t>(r.start_wall_ns));
  write_fixed64_if(w, 8, static_cast<std::uint64_t>(r.end_wall_ns));
  out.append(cached(methods_, last_method_, r.method, 0));
  write_string_attr(w, "url.full", spans.text_of(r.url_off, r.url_len));
  out.append(cached(origins_, last_origin_, spans.text_of(r.address_off, r.address_len), r.port));
  if (r.status > 0) write_int_attr(w, "http.response.status_code", std::int64_t{r.status});
  if (r.resend_count > 0) write_int_attr(w, "http.request.resend_count", r.resend_count);
  if (spans.settings && spans.settings->user_agent)
    out.append(cached(agents_, last_agent_, *spans.settings->user_agent, 0));
  if (r.error) {
    if (r.error_type.empty()) {
      char digits[8];
      const auto end = std::to_chars(digits, digits + sizeof digits, r.status).ptr;
      write_string_attr(w, "error.type",
                        std::string_view(digits, static_cast<std::size_t>(end - digits)));
    } else {
      write_string_attr(w, "error.type", r.error_type);
    }
    const auto st = w.begin_message(15);  // Status {2 message, 3 code}
    if (r.message_len > 0) w.string_field(2, spans.text_of(r.message_off, r.message_len));
    w.uint32_field(3, static_cast<std::uint32_t>(StatusCode::kError));
    w.end_message(st);
  }
  w.fixed32_field(16, r.trace_flags | 0x100u);  // flags: has is_remote, parent local
  w.end_message(m);
}

}  // namespace loadgen::otel
