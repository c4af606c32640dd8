// OTLP/JSON trace encoding and JSON response decoding (see otlp_json.hpp). Encoding is
// hand-written for speed (one pass into a reused string); decoding uses nlohmann_json with
// exceptions disabled and every type checked (it parses outside input).
#include "otel/otlp_json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "otel/protobuf_writer.hpp"

namespace loadgen::otel {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// ---------------------------------------------------------------------------------------------
// Encoding

// Emits `,"name":` (or `"name":` for an object's first member); `first` belongs to the object.
void key(std::string& o, bool& first, std::string_view name) {
  if (!first) o += ',';
  first = false;
  o += '"';
  o += name;
  o += "\":";
}

template <std::size_t N>
void hex_id(std::string& o, const std::array<std::uint8_t, N>& id) {
  char buf[2 * N + 2];
  buf[0] = '"';
  for (std::size_t i = 0; i < N; ++i) {
    buf[1 + 2 * i] = kHex[id[i] >> 4];
    buf[2 + 2 * i] = kHex[id[i] & 0xF];
  }
  buf[2 * N + 1] = '"';
  o.append(buf, sizeof buf);
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& id) {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

// 64-bit integers are decimal strings in OTLP/JSON.
template <class Int>
void quoted_int(std::string& o, Int v) {
  char buf[24];
  buf[0] = '"';
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 1, v);
  *r.ptr++ = '"';
  o.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

template <class Int>
void plain_int(std::string& o, Int v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void json_double(std::string& o, double v) {
  if (std::isnan(v)) {
    o += "\"NaN\"";
  } else if (std::isinf(v)) {
    o += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if (v == 0 && std::signbit(v)) {
    o += "-0.0";  // "-0" would read back as integer 0 in parsers that keep integers apart
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    o.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
}

void any_value(std::string& o, const AttrValue& value);

void attributes(std::string& o, bool& first, std::string_view name, const Attributes& attrs) {
  if (attrs.empty()) return;
  key(o, first, name);
  o += '[';
  bool first_kv = true;
  for (const Attribute& a : attrs) {
    if (!first_kv) o += ',';
    first_kv = false;
    o += "{\"key\":";
    append_json_string(o, a.key);
    o += ",\"value\":";
    any_value(o, a.value);
    o += '}';
  }
  o += ']';
}

void any_value(std::string& o, const AttrValue& value) {
  std::visit(
      [&o](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          o += "{\"stringValue\":";
          append_json_string(o, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          o += v ? "{\"boolValue\":true" : "{\"boolValue\":false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          o += "{\"intValue\":";
          quoted_int(o, v);
        } else if constexpr (std::is_same_v<T, double>) {
          o += "{\"doubleValue\":";
          json_double(o, v);
        } else {
          static_assert(std::is_same_v<T, AttrArray>);
          o += "{\"arrayValue\":{";
          if (!v.empty()) {
            o += "\"values\":[";
            for (std::size_t i = 0; i < v.size(); ++i) {
              if (i != 0) o += ',';
              any_value(o, v[i]);
            }
            o += ']';
          }
          o += '}';
        }
        o += '}';
      },
      value.v);
}

void string_member(std::string& o, bool& first, std::string_view name, const std::string& s) {
  if (s.empty()) return;
  key(o, first, name);
  append_json_string(o, s);
}

void uint32_member(std::string& o, bool& first, std::string_view name, std::uint32_t v) {
  if (v == 0) return;
  key(o, first, name);
  plain_int(o, v);
}

void time_member(std::string& o, bool& first, std::string_view name, std::uint64_t v) {
  if (v == 0) return;
  key(o, first, name);
  quoted_int(o, v);
}

void span(std::string& o, const SpanData& s) {
  o += '{';
  bool first = true;
  key(o, first, "traceId");
  hex_id(o, s.trace_id);
  key(o, first, "spanId");
  hex_id(o, s.span_id);
  string_member(o, first, "traceState", s.trace_state);
  if (!all_zero(s.parent_span_id)) {
    key(o, first, "parentSpanId");
    hex_id(o, s.parent_span_id);
  }
  string_member(o, first, "name", s.name);
  uint32_member(o, first, "kind", static_cast<std::uint32_t>(s.kind));
  time_member(o, first, "startTimeUnixNano", s.start_time_unix_nano);
  time_member(o, first, "endTimeUnixNano", s.end_time_unix_nano);
  attributes(o, first, "attributes", s.attributes);
  uint32_member(o, first, "droppedAttributesCount", s.dropped_attributes_count);
  if (!s.events.empty()) {
    key(o, first, "events");
    o += '[';
    for (std::size_t i = 0; i < s.events.size(); ++i) {
      const SpanEvent& e = s.events[i];
      if (i != 0) o += ',';
      o += '{';
      bool f = true;
      time_member(o, f, "timeUnixNano", e.time_unix_nano);
      string_member(o, f, "name", e.name);
      attributes(o, f, "attributes", e.attributes);
      uint32_member(o, f, "droppedAttributesCount", e.dropped_attributes_count);
      o += '}';
    }
    o += ']';
  }
  uint32_member(o, first, "droppedEventsCount", s.dropped_events_count);
  if (!s.links.empty()) {
    key(o, first, "links");
    o += '[';
    for (std::size_t i = 0; i < s.links.size(); ++i) {
      const SpanLink& l = s.links[i];
      if (i != 0) o += ',';
      o += '{';
      bool f = true;
      key(o, f, "traceId");
      hex_id(o, l.trace_id);
      key(o, f, "spanId");
      hex_id(o, l.span_id);
      string_member(o, f, "traceState", l.trace_state);
      attributes(o, f, "attributes", l.attributes);
      uint32_member(o, f, "droppedAttributesCount", l.dropped_attributes_count);
      uint32_member(o, f, "flags", l.flags);
      o += '}';
    }
    o += ']';
  }
  uint32_member(o, first, "droppedLinksCount", s.dropped_links_count);
  if (s.status_code != StatusCode::kUnset || !s.status_message.empty()) {
    key(o, first, "status");
    o += '{';
    bool f = true;
    string_member(o, f, "message", s.status_message);
    uint32_member(o, f, "code", static_cast<std::uint32_t>(s.status_code));
    o += '}';
  }
  uint32_member(o, first, "flags", s.flags);
  o += '}';
}

bool has_spans(const ResourceSpans& rs) {
  return std::any_of(rs.scope_spans.begin(), rs.scope_spans.end(),
                     [](const ScopeSpans& ss) { return !ss.spans.empty(); });
}

// ---------------------------------------------------------------------------------------------
// Decoding

using Json = nlohmann::json;

core::Error malformed(std::string_view what) {
  return core::make_error("bad_response", "malformed " + std::string(what) + " (OTLP/JSON)",
                          "the collector's answer is not valid JSON for this message");
}

// proto3 JSON readers accept the lowerCamelCase name and the original field name.
const Json* member(const Json& obj, const char* camel, const char* snake) {
  auto it = obj.find(camel);
  if (it == obj.end()) it = obj.find(snake);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// int64 as a decimal string or a JSON number (OTLP/JSON readers accept both).
bool json_int64(const Json& j, std::int64_t& out) {
  if (j.is_number_integer() && !j.is_number_unsigned()) {
    out = j.get<std::int64_t>();
    return true;
  }
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    out = u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
              ? std::numeric_limits<std::int64_t>::max()
              : static_cast<std::int64_t>(u);
    return true;
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9.0e18) return false;
    out = static_cast<std::int64_t>(d);
    return true;
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    const char* b = s.data();
    const char* e = b + s.size();
    auto r = std::from_chars(b, e, out);
    return r.ec == std::errc() && r.ptr == e && !s.empty();
  }
  return false;
}

bool json_string(const Json& j, std::string& out) {
  if (!j.is_string()) return false;
  out = j.get_ref<const std::string&>();  // nlohmann only accepts well-formed UTF-8
  return true;
}

// google.protobuf.Duration in JSON: "<seconds>[.<fraction>]s", e.g. "1.500s", "-0.5s".
bool json_duration(const Json& j, std::chrono::nanoseconds& out) {
  if (!j.is_string()) return false;
  std::string_view s = j.get_ref<const std::string&>();
  if (s.size() < 2 || s.back() != 's') return false;
  s.remove_suffix(1);
  bool negative = false;
  if (s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (whole.empty() || frac.size() > 9 || (dot != std::string_view::npos && frac.empty()))
    return false;
  std::uint64_t seconds = 0;
  auto r = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (r.ec != std::errc() || r.ptr != whole.data() + whole.size()) return false;
  std::uint64_t nanos = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    std::uint64_t digit = 0;
    if (i < frac.size()) {
      if (frac[i] < '0' || frac[i] > '9') return false;
      digit = static_cast<std::uint64_t>(frac[i] - '0');
    }
    nanos = nanos * 10 + digit;
  }
  if (negative) {
    out = std::chrono::nanoseconds(0);
    return true;
  }
  constexpr std::uint64_t kMaxSeconds =
      std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  seconds = std::min(seconds, kMaxSeconds);
  out = std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1'000'000'000 + nanos));
  return true;
}

bool is_retry_info(std::string_view type_url) {
  const auto slash = type_url.rfind('/');
  return (slash == std::string_view::npos ? type_url : type_url.substr(slash + 1)) ==
         "google.rpc.RetryInfo";
}

Json parse(std::string_view body) {
  return Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
}

bool blank(std::string_view body) {
  return std::all_of(body.begin(), body.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

core::Result<PartialSuccess> decode_response(std::string_view body) {
  PartialSuccess ps;
  if (blank(body)) return ps;
  const Json j = parse(body);
  if (!j.is_object()) return malformed("ExportTraceServiceResponse");
  const Json* p = member(j, "partialSuccess", "partial_success");
  if (p == nullptr) return ps;
  if (!p->is_object()) return malformed("ExportTracePartialSuccess");
  if (const Json* r = member(*p, "rejectedSpans", "rejected_spans");
      r != nullptr && !json_int64(*r, ps.rejected)) {
    return malformed("rejectedSpans");
  }
  if (const Json* m = member(*p, "errorMessage", "error_message");
      m != nullptr && !json_string(*m, ps.error_message)) {
    return malformed("errorMessage");
  }
  return ps;
}

core::Result<RpcStatus> decode_status(std::string_view body) {
  RpcStatus st;
  const Json j = parse(body);
  if (!j.is_object()) return malformed("google.rpc.Status");
  if (const Json* c = member(j, "code", "code"); c != nullptr) {
    std::int64_t code = 0;
    if (!json_int64(*c, code)) return malformed("google.rpc.Status code");
    st.code = static_cast<std::int32_t>(std::clamp<std::int64_t>(
        code, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
  }
  if (const Json* m = member(j, "message", "message");
      m != nullptr && !json_string(*m, st.message)) {
    return malformed("google.rpc.Status message");
  }
  if (const Json* d = member(j, "details", "details"); d != nullptr) {
    if (!d->is_array()) return malformed("google.rpc.Status details");
    for (const Json& any : *d) {
      if (!any.is_object()) return malformed("google.rpc.Status details");
      const Json* type = member(any, "@type", "@type");
      if (type == nullptr || !type->is_string() ||
          !is_retry_info(type->get_ref<const std::string&>()))
        continue;
      if (const Json* delay = member(any, "retryDelay", "retry_delay"); delay != nullptr) {
        std::chrono::nanoseconds ns{};
        if (!json_duration(*delay, ns)) return malformed("RetryInfo retryDelay");
        st.retry_delay = ns;
      }
    }
  }
  return st;
}

}  // namespace

void append_json_string(std::string& o, std::string_view s) {
  o += '"';
  std::size_t run = 0;  // start of the pending run of bytes copied verbatim
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      bool valid = false;
      const std::size_t n = utf8_sequence(s, i, valid);
      if (valid) {
        i += n;
        continue;
      }
      o.append(s.data() + run, i - run);
      o += "\xEF\xBF\xBD";
      i += n;
      run = i;
      continue;
    }
    o.append(s.data() + run, i - run);
    switch (c) {  // RFC 8259 §7: quotation mark, reverse solidus and controls must be escaped
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\b':
        o += "\\b";
        break;
      case '\f':
        o += "\\f";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        o.append(esc, sizeof esc);
      }
    }
    ++i;
    run = i;
  }
  o.append(s.data() + run, s.size() - run);
  o += '"';
}

void encode_export_trace_request_json(const std::vector<ResourceSpans>& batch, std::string& o) {
  o.clear();
  o += "{\"resourceSpans\":[";
  bool first_rs = true;
  for (const ResourceSpans& rs : batch) {
    if (!has_spans(rs)) continue;
    if (!first_rs) o += ',';
    first_rs = false;
    o += "{\"resource\":{";
    bool fr = true;
    attributes(o, fr, "attributes", rs.resource.attributes);
    uint32_member(o, fr, "droppedAttributesCount", rs.resource.dropped_attributes_count);
    o += "},\"scopeSpans\":[";
    bool first_ss = true;
    for (const ScopeSpans& ss : rs.scope_spans) {
      if (ss.spans.empty()) continue;
      if (!first_ss) o += ',';
      first_ss = false;
      o += "{\"scope\":{";
      bool fs = true;
      string_member(o, fs, "name", ss.scope.name);
      string_member(o, fs, "version", ss.scope.version);
      attributes(o, fs, "attributes", ss.scope.attributes);
      o += "},\"spans\":[";
      for (std::size_t i = 0; i < ss.spans.size(); ++i) {
        if (i != 0) o += ',';
        span(o, ss.spans[i]);
      }
      o += ']';
      if (!ss.schema_url.empty()) {
        o += ",\"schemaUrl\":";
        append_json_string(o, ss.schema_url);
      }
      o += '}';
    }
    o += ']';
    if (!rs.resource.schema_url.empty()) {
      o += ",\"schemaUrl\":";
      append_json_string(o, rs.resource.schema_url);
    }
    o += '}';
  }
  o += "]}";
}

core::Result<PartialSuccess> decode_export_trace_response_json(std::string_view body) {
  try {
    return decode_response(body);
  } catch (const std::exception&) {  // nlohmann's, should a check above be missing
    return malformed("ExportTraceServiceResponse");
  }
}

core::Result<RpcStatus> decode_rpc_status_json(std::string_view body) {
  try {
    return decode_status(body);
  } catch (const std::exception&) {
    return malformed("google.rpc.Status");
  }
}

}  // namespace loadgen::otel
