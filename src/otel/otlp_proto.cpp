// OTLP/protobuf trace encoding and response decoding (see otlp_proto.hpp). Field numbers are
// opentelemetry-proto v1.x's: common/v1/common.proto, resource/v1/resource.proto,
// trace/v1/trace.proto, collector/trace/v1/trace_service.proto.
#include "otel/otlp_proto.hpp"

#include <algorithm>
#include <limits>

#include "core/utf8.hpp"
#include "otel/otlp_proto_common.hpp"

namespace loadgen::otel {

namespace {

using namespace proto_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

// ---------------------------------------------------------------------------------------------
// Encoding

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
  write_fixed32_if(w, 6, l.flags);
  w.end_message(m);
}

}  // namespace

// Span (trace.proto), fields 1..16 in order.
void proto_enc::write_span(ProtobufWriter& w, const SpanData& s) {
  w.bytes_field(1, s.trace_id.data(), s.trace_id.size());
  w.bytes_field(2, s.span_id.data(), s.span_id.size());
  write_string_if(w, 3, s.trace_state);
  write_id_if_valid(w, 4, s.parent_span_id);  // empty for a root span
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
  write_fixed32_if(w, 16, s.flags);
}

namespace {

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

// Export{Trace,Metrics,Logs}PartialSuccess {1 rejected_<items> int64, 2 error_message string}
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
      core::append_utf8_sanitized(ps.error_message, s);
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

// Export{Trace,Metrics,Logs}ServiceResponse {1 partial_success}: one layout for the three
// signals (collector/<signal>/v1/<signal>_service.proto); `signal` only names them in errors.
core::Result<PartialSuccess> decode_export_response(std::string_view bytes,
                                                    std::string_view signal) {
  const auto name = [signal](const char* suffix) {
    return "Export" + std::string(signal) + suffix;
  };
  PartialSuccess ps;
  Reader r(bytes);
  while (!r.done()) {
    std::uint32_t field = 0;
    WireType wt = WireType::kVarint;
    if (!r.tag(field, wt)) return malformed(name("ServiceResponse"));
    if (field == 1 && wt == WireType::kLen) {  // partial_success (sub-messages merge)
      std::string_view s;
      if (!r.bytes(s) || !decode_partial_success(s, ps)) return malformed(name("PartialSuccess"));
    } else if (!r.skip(field, wt)) {
      return malformed(name("ServiceResponse"));
    }
  }
  return ps;
}

}  // namespace

void encode_export_trace_request(const std::vector<ResourceSpans>& batch, std::string& out) {
  TraceRequestEncoder().encode(batch, out);
}

void encode_traces_data(const std::vector<ResourceSpans>& batch, std::string& out) {
  TraceRequestEncoder().encode_traces_data(batch, out);
}

core::Result<PartialSuccess> decode_export_trace_response(std::string_view bytes) {
  return decode_export_response(bytes, "Trace");
}

core::Result<PartialSuccess> decode_export_metrics_response(std::string_view bytes) {
  return decode_export_response(bytes, "Metrics");
}

core::Result<PartialSuccess> decode_export_logs_response(std::string_view bytes) {
  return decode_export_response(bytes, "Logs");
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
      core::append_utf8_sanitized(st.message, s);
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
