// OTLP/protobuf trace encoding and response decoding (see otlp_proto.hpp). Field numbers are
// opentelemetry-proto v1.x's: common/v1/common.proto, resource/v1/resource.proto,
// trace/v1/trace.proto, collector/trace/v1/trace_service.proto.
#include "otel/otlp_proto.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "otel/protobuf_writer.hpp"

namespace loadgen::otel {

namespace {

// ---------------------------------------------------------------------------------------------
// Encoding

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& id) {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

void write_attributes(ProtobufWriter& w, std::uint32_t field, const Attributes& attrs);

// AnyValue: oneof, so the set member is written even when it holds its type's default.
void write_any_value(ProtobufWriter& w, const AttrValue& value) {
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          w.string_field(1, v);  // string_value
        } else if constexpr (std::is_same_v<T, bool>) {
          w.bool_field(2, v);  // bool_value
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          w.int64_field(3, v);  // int_value
        } else if constexpr (std::is_same_v<T, double>) {
          w.double_field(4, v);  // double_value
        } else {
          static_assert(std::is_same_v<T, AttrArray>);
          const auto arr = w.begin_message(5, v.size() < 8 ? 1 : 2);  // array_value: ArrayValue
          for (const AttrValue& element : v) {
            const auto any = w.begin_message(1);  // ArrayValue.values
            write_any_value(w, element);
            w.end_message(any);
          }
          w.end_message(arr);
        }
      },
      value.v);
}

// repeated KeyValue {1 key, 2 value: AnyValue}
void write_attributes(ProtobufWriter& w, std::uint32_t field, const Attributes& attrs) {
  for (const Attribute& a : attrs) {
    const auto kv = w.begin_message(field);
    if (!a.key.empty()) w.string_field(1, a.key);
    const auto any = w.begin_message(2);
    write_any_value(w, a.value);
    w.end_message(any);
    w.end_message(kv);
  }
}

void write_string_if(ProtobufWriter& w, std::uint32_t field, const std::string& s) {
  if (!s.empty()) w.string_field(field, s);
}
void write_uint32_if(ProtobufWriter& w, std::uint32_t field, std::uint32_t v) {
  if (v != 0) w.uint32_field(field, v);
}
void write_fixed64_if(ProtobufWriter& w, std::uint32_t field, std::uint64_t v) {
  if (v != 0) w.fixed64_field(field, v);
}

// Span.Event {1 time_unix_nano fixed64, 2 name, 3 attributes, 4 dropped_attributes_count}
void write_event(ProtobufWriter& w, const SpanEvent& e) {
  const auto m = w.begin_message(11);
  write_fixed64_if(w, 1, e.time_unix_nano);
  write_string_if(w, 2, e.name);
  write_attributes(w, 3, e.attributes);
  write_uint32_if(w, 4, e.dropped_attributes_count);
  w.end_message(m);
}

// Span.Link {1 trace_id, 2 span_id, 3 trace_state, 4 attributes, 5 dropped, 6 flags fixed32}
void write_link(ProtobufWriter& w, const SpanLink& l) {
  const auto m = w.begin_message(13, 2);
  w.bytes_field(1, l.trace_id.data(), l.trace_id.size());
  w.bytes_field(2, l.span_id.data(), l.span_id.size());
  write_string_if(w, 3, l.trace_state);
  write_attributes(w, 4, l.attributes);
  write_uint32_if(w, 5, l.dropped_attributes_count);
  if (l.flags != 0) w.fixed32_field(6, l.flags);
  w.end_message(m);
}

// Span (trace.proto), fields 1..16 in order.
void write_span(ProtobufWriter& w, const SpanData& s) {
  const auto m = w.begin_message(2, 2);  // ScopeSpans.spans
  w.bytes_field(1, s.trace_id.data(), s.trace_id.size());
  w.bytes_field(2, s.span_id.data(), s.span_id.size());
  write_string_if(w, 3, s.trace_state);
  if (!all_zero(s.parent_span_id))
    w.bytes_field(4, s.parent_span_id.data(), s.parent_span_id.size());
  write_string_if(w, 5, s.name);
  if (s.kind != SpanKind::kUnspecified) w.uint32_field(6, static_cast<std::uint32_t>(s.kind));
  write_fixed64_if(w, 7, s.start_time_unix_nano);
  write_fixed64_if(w, 8, s.end_time_unix_nano);
  write_attributes(w, 9, s.attributes);
  write_uint32_if(w, 10, s.dropped_attributes_count);
  for (const SpanEvent& e : s.events) write_event(w, e);
  write_uint32_if(w, 12, s.dropped_events_count);
  for (const SpanLink& l : s.links) write_link(w, l);
  write_uint32_if(w, 14, s.dropped_links_count);
  if (s.status_code != StatusCode::kUnset || !s.status_message.empty()) {
    const auto st = w.begin_message(15);  // Status {2 message, 3 code} (1 reserved)
    write_string_if(w, 2, s.status_message);
    if (s.status_code != StatusCode::kUnset)
      w.uint32_field(3, static_cast<std::uint32_t>(s.status_code));
    w.end_message(st);
  }
  if (s.flags != 0) w.fixed32_field(16, s.flags);
  w.end_message(m);
}

bool has_spans(const ResourceSpans& rs) {
  return std::any_of(rs.scope_spans.begin(), rs.scope_spans.end(),
                     [](const ScopeSpans& ss) { return !ss.spans.empty(); });
}

// Shared by ExportTraceServiceRequest and TracesData: field 1 = repeated ResourceSpans.
void encode_resource_spans_list(const std::vector<ResourceSpans>& batch, std::string& out) {
  out.clear();
  ProtobufWriter w(out);
  for (const ResourceSpans& rs : batch) {
    if (!has_spans(rs)) continue;
    const auto rsm = w.begin_message(1, 3);
    // ResourceSpans.resource: Resource {1 attributes, 2 dropped_attributes_count}
    const auto res = w.begin_message(1, 2);
    write_attributes(w, 1, rs.resource.attributes);
    write_uint32_if(w, 2, rs.resource.dropped_attributes_count);
    w.end_message(res);
    for (const ScopeSpans& ss : rs.scope_spans) {
      if (ss.spans.empty()) continue;
      const auto ssm = w.begin_message(2, 3);  // ResourceSpans.scope_spans
      // ScopeSpans.scope: InstrumentationScope {1 name, 2 version, 3 attributes, 4 dropped}
      const auto scope = w.begin_message(1);
      write_string_if(w, 1, ss.scope.name);
      write_string_if(w, 2, ss.scope.version);
      write_attributes(w, 3, ss.scope.attributes);
      w.end_message(scope);
      for (const SpanData& s : ss.spans) write_span(w, s);
      write_string_if(w, 3, ss.schema_url);  // ScopeSpans.schema_url
      w.end_message(ssm);
    }
    write_string_if(w, 3, rs.resource.schema_url);  // ResourceSpans.schema_url
    w.end_message(rsm);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding (input from the network: every length is checked, nothing is trusted)

constexpr int kMaxGroupDepth = 64;

class Reader {
 public:
  explicit Reader(std::string_view in)
      : p_(reinterpret_cast<const std::uint8_t*>(in.data())), end_(p_ + in.size()) {}

  bool done() const { return p_ == end_; }

  bool varint(std::uint64_t& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const std::uint8_t b = *p_++;
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes
  }

  // Reads a tag; false at malformed input (field 0, bad wire type, truncated).
  bool tag(std::uint32_t& field, WireType& wt) {
    std::uint64_t t = 0;
    if (!varint(t) || t > 0xFFFFFFFFULL) return false;
    field = static_cast<std::uint32_t>(t >> 3);
    const auto w = static_cast<std::uint8_t>(t & 7);
    if (field == 0 || w > 5) return false;
    wt = static_cast<WireType>(w);
    return true;
  }

  bool bytes(std::string_view& out) {
    std::uint64_t n = 0;
    if (!varint(n) || n > static_cast<std::uint64_t>(end_ - p_)) return false;
    out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }

  bool skip_n(std::size_t n) {
    if (n > static_cast<std::size_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }

  // Skips the value of a field whose tag was just read (unknown fields, wrong wire types).
  bool skip(std::uint32_t field, WireType wt, int depth = 0) {
    std::uint64_t v = 0;
    std::string_view s;
    switch (wt) {
      case WireType::kVarint:
        return varint(v);
      case WireType::kI64:
        return skip_n(8);
      case WireType::kI32:
        return skip_n(4);
      case WireType::kLen:
        return bytes(s);
      case WireType::kSGroup: {  // deprecated groups: skip to the matching end-group tag
        if (depth >= kMaxGroupDepth) return false;
        for (;;) {
          std::uint32_t f = 0;
          WireType w = WireType::kVarint;
          if (!tag(f, w)) return false;
          if (w == WireType::kEGroup) return f == field;
          if (!skip(f, w, depth + 1)) return false;
        }
      }
      case WireType::kEGroup:
        return false;  // unbalanced
    }
    return false;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

core::Error malformed(std::string_view what) {
  return core::make_error("bad_response", "malformed " + std::string(what) + " (protobuf)",
                          "the collector's answer is not valid protobuf for this message");
}

// ExportTracePartialSuccess {1 rejected_spans int64, 2 error_message string}
bool decode_partial_success(std::string_view in, PartialSuccess& ps) {
  Reader r(in);
  while (!r.done()) {
    std::uint32_t field = 0;
    WireType wt = WireType::kVarint;
    if (!r.tag(field, wt)) return false;
    if (field == 1 && wt == WireType::kVarint) {
      std::uint64_t v = 0;
      if (!r.varint(v)) return false;
      ps.rejected = static_cast<std::int64_t>(v);
    } else if (field == 2 && wt == WireType::kLen) {
      std::string_view s;
      if (!r.bytes(s)) return false;
      ps.error_message.clear();
      append_utf8_sanitized(ps.error_message, s);
    } else if (!r.skip(field, wt)) {
      return false;
    }
  }
  return true;
}

// google.protobuf.Duration {1 seconds int64, 2 nanos int32} → nanoseconds, clamped to >= 0
// and to what std::chrono::nanoseconds holds.
bool decode_duration(std::string_view in, std::chrono::nanoseconds& out) {
  Reader r(in);
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
  while (!r.done()) {
    std::uint32_t field = 0;
    WireType wt = WireType::kVarint;
    if (!r.tag(field, wt)) return false;
    std::uint64_t v = 0;
    if ((field == 1 || field == 2) && wt == WireType::kVarint) {
      if (!r.varint(v)) return false;
      if (field == 1) {
        seconds = static_cast<std::int64_t>(v);
      } else {
        nanos = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
      }
    } else if (!r.skip(field, wt)) {
      return false;
    }
  }
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  seconds = std::clamp<std::int64_t>(seconds, 0, kMaxSeconds);
  nanos = std::clamp<std::int64_t>(nanos, -999'999'999, 999'999'999);
  out = std::chrono::nanoseconds(std::max<std::int64_t>(0, seconds * 1'000'000'000 + nanos));
  return true;
}

// The type URL names a message by the part after its last '/' (google/protobuf/any.proto).
bool is_retry_info(std::string_view type_url) {
  const auto slash = type_url.rfind('/');
  const std::string_view name =
      slash == std::string_view::npos ? type_url : type_url.substr(slash + 1);
  return name == "google.rpc.RetryInfo";
}

// google.protobuf.Any {1 type_url, 2 value}; if a RetryInfo {1 retry_delay: Duration}, sets
// the delay.
bool decode_detail(std::string_view in, RpcStatus& st) {
  Reader r(in);
  std::string_view type_url;
  std::string_view value;
  while (!r.done()) {
    std::uint32_t field = 0;
    WireType wt = WireType::kVarint;
    if (!r.tag(field, wt)) return false;
    if ((field == 1 || field == 2) && wt == WireType::kLen) {
      if (!r.bytes(field == 1 ? type_url : value)) return false;
    } else if (!r.skip(field, wt)) {
      return false;
    }
  }
  if (!is_retry_info(type_url)) return true;
  Reader ri(value);
  while (!ri.done()) {
    std::uint32_t field = 0;
    WireType wt = WireType::kVarint;
    if (!ri.tag(field, wt)) return false;
    if (field == 1 && wt == WireType::kLen) {
      std::string_view d;
      std::chrono::nanoseconds delay{};
      if (!ri.bytes(d) || !decode_duration(d, delay)) return false;
      st.retry_delay = delay;
    } else if (!ri.skip(field, wt)) {
      return false;
    }
  }
  return true;
}

}  // namespace

void encode_export_trace_request(const std::vector<ResourceSpans>& batch, std::string& out) {
  encode_resource_spans_list(batch, out);
}

void encode_traces_data(const std::vector<ResourceSpans>& batch, std::string& out) {
  encode_resource_spans_list(batch, out);
}

core::Result<PartialSuccess> decode_export_trace_response(std::string_view bytes) {
  PartialSuccess ps;
  Reader r(bytes);
  while (!r.done()) {
    std::uint32_t field = 0;
    WireType wt = WireType::kVarint;
    if (!r.tag(field, wt)) return malformed("ExportTraceServiceResponse");
    if (field == 1 && wt == WireType::kLen) {  // partial_success (sub-messages merge)
      std::string_view s;
      if (!r.bytes(s) || !decode_partial_success(s, ps))
        return malformed("ExportTracePartialSuccess");
    } else if (!r.skip(field, wt)) {
      return malformed("ExportTraceServiceResponse");
    }
  }
  return ps;
}

core::Result<RpcStatus> decode_rpc_status(std::string_view bytes) {
  RpcStatus st;
  Reader r(bytes);
  while (!r.done()) {
    std::uint32_t field = 0;
    WireType wt = WireType::kVarint;
    if (!r.tag(field, wt)) return malformed("google.rpc.Status");
    if (field == 1 && wt == WireType::kVarint) {  // code int32
      std::uint64_t v = 0;
      if (!r.varint(v)) return malformed("google.rpc.Status");
      st.code = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    } else if (field == 2 && wt == WireType::kLen) {  // message
      std::string_view s;
      if (!r.bytes(s)) return malformed("google.rpc.Status");
      st.message.clear();
      append_utf8_sanitized(st.message, s);
    } else if (field == 3 && wt == WireType::kLen) {  // details: repeated Any
      std::string_view s;
      if (!r.bytes(s) || !decode_detail(s, st)) return malformed("google.rpc.Status details");
    } else if (!r.skip(field, wt)) {
      return malformed("google.rpc.Status");
    }
  }
  return st;
}

}  // namespace loadgen::otel
