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

#include "otel/client_span.hpp"
#include "otel/otlp_json_common.hpp"
#include "otel/protobuf_writer.hpp"

namespace loadgen::otel {

namespace {

using namespace json_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

// ---------------------------------------------------------------------------------------------
// Encoding

// Span.Event {timeUnixNano, name, attributes, droppedAttributesCount}
void event_members(std::string& o, bool& f, const SpanEvent& e) {
  uint64_member(o, f, "timeUnixNano", e.time_unix_nano);
  string_member(o, f, "name", e.name);
  attributes(o, f, "attributes", e.attributes);
  number_member(o, f, "droppedAttributesCount", e.dropped_attributes_count);
}

// Span.Link {traceId, spanId, traceState, attributes, droppedAttributesCount, flags}
void link_members(std::string& o, bool& f, const SpanLink& l) {
  id_member(o, f, "traceId", l.trace_id);
  id_member(o, f, "spanId", l.span_id);
  string_member(o, f, "traceState", l.trace_state);
  attributes(o, f, "attributes", l.attributes);
  number_member(o, f, "droppedAttributesCount", l.dropped_attributes_count);
  number_member(o, f, "flags", l.flags);
}

void span_members(std::string& o, bool& first, const SpanData& s) {
  id_member(o, first, "traceId", s.trace_id);
  id_member(o, first, "spanId", s.span_id);
  string_member(o, first, "traceState", s.trace_state);
  id_member_if_valid(o, first, "parentSpanId", s.parent_span_id);
  string_member(o, first, "name", s.name);
  number_member(o, first, "kind", static_cast<std::uint32_t>(s.kind));
  uint64_member(o, first, "startTimeUnixNano", s.start_time_unix_nano);
  uint64_member(o, first, "endTimeUnixNano", s.end_time_unix_nano);
  attributes(o, first, "attributes", s.attributes);
  number_member(o, first, "droppedAttributesCount", s.dropped_attributes_count);
  object_array_member(o, first, "events", s.events, event_members);
  number_member(o, first, "droppedEventsCount", s.dropped_events_count);
  object_array_member(o, first, "links", s.links, link_members);
  number_member(o, first, "droppedLinksCount", s.dropped_links_count);
  if (s.status_code != StatusCode::kUnset || !s.status_message.empty()) {
    object_member(o, first, "status", [&s](std::string& out, bool& f) {
      string_member(out, f, "message", s.status_message);
      number_member(out, f, "code", static_cast<std::uint32_t>(s.status_code));
    });
  }
  number_member(o, first, "flags", s.flags);
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

// The names that differ between Export{Trace,Metrics,Logs}ServiceResponse in JSON: the signal
// (for errors) and partial_success's rejected_<items> field (lowerCamelCase and proto name).
struct ResponseNames {
  const char* signal;
  const char* rejected_camel;
  const char* rejected_snake;
};
constexpr ResponseNames kTraceResponse{"Trace", "rejectedSpans", "rejected_spans"};
constexpr ResponseNames kMetricsResponse{"Metrics", "rejectedDataPoints", "rejected_data_points"};
constexpr ResponseNames kLogsResponse{"Logs", "rejectedLogRecords", "rejected_log_records"};

core::Result<PartialSuccess> decode_response(std::string_view body, const ResponseNames& names) {
  const auto name = [&names](const char* suffix) {
    return "Export" + std::string(names.signal) + suffix;
  };
  PartialSuccess ps;
  if (blank(body)) return ps;
  const Json j = parse(body);
  if (!j.is_object()) return malformed(name("ServiceResponse"));
  const Json* p = member(j, "partialSuccess", "partial_success");
  if (p == nullptr) return ps;
  if (!p->is_object()) return malformed(name("PartialSuccess"));
  if (const Json* r = member(*p, names.rejected_camel, names.rejected_snake);
      r != nullptr && !json_int64(*r, ps.rejected)) {
    return malformed(names.rejected_camel);
  }
  if (const Json* m = member(*p, "errorMessage", "error_message");
      m != nullptr && !json_string(*m, ps.error_message)) {
    return malformed("errorMessage");
  }
  return ps;
}

// nlohmann may throw should a check above be missing; that stays inside otel.
core::Result<PartialSuccess> decode_response_caught(std::string_view body,
                                                    const ResponseNames& names) {
  try {
    return decode_response(body, names);
  } catch (const std::exception&) {
    return malformed("Export" + std::string(names.signal) + "ServiceResponse");
  }
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

void encode_export_trace_request_json(const std::vector<ResourceSpans>& batch, std::string& o) {
  std::vector<ResourceSpans> scratch;  // compact CLIENT spans become SpanData first
  encode_envelopes(with_client_spans_as_span_data(batch, scratch), o, span_members);
}

core::Result<PartialSuccess> decode_export_trace_response_json(std::string_view body) {
  return decode_response_caught(body, kTraceResponse);
}

core::Result<PartialSuccess> decode_export_metrics_response_json(std::string_view body) {
  return decode_response_caught(body, kMetricsResponse);
}

core::Result<PartialSuccess> decode_export_logs_response_json(std::string_view body) {
  return decode_response_caught(body, kLogsResponse);
}

core::Result<RpcStatus> decode_rpc_status_json(std::string_view body) {
  try {
    return decode_status(body);
  } catch (const std::exception&) {
    return malformed("google.rpc.Status");
  }
}

}  // namespace loadgen::otel
