// CLIENT spans as SpanData (see client_span.hpp). The OTLP protobuf encoder's fast path
// (otlp_proto_client.cpp) writes the same attributes in the same order.
#include "otel/client_span.hpp"

#include <string>
#include <utility>

#include "otel/attribute_limits.hpp"

namespace loadgen::otel {

void append_span_data(const ClientSpans& spans, std::size_t first, std::size_t count,
                      std::vector<SpanData>& out) {
  static const ClientSpanSettings kNone;
  const ClientSpanSettings& settings = spans.settings ? *spans.settings : kNone;
  out.reserve(out.size() + count);
  for (std::size_t i = first; i < first + count; ++i) {
    const ClientSpanRecord& r = spans.records[i];
    SpanData& s = out.emplace_back();
    s.trace_id = r.trace_id;
    s.span_id = r.span_id;
    s.parent_span_id = r.parent_span_id;
    s.name.assign(r.method);  // "{method}": we have no url.template
    s.kind = SpanKind::kClient;
    s.start_time_unix_nano = static_cast<std::uint64_t>(r.start_wall_ns);
    s.end_time_unix_nano = static_cast<std::uint64_t>(r.end_wall_ns);
    s.flags = r.trace_flags | 0x100u;  // SpanFlags: has is_remote, parent local
    if (r.state_len > 0) s.trace_state.assign(spans.text_of(r.state_off, r.state_len));
    auto& at = s.attributes;
    at.reserve(kClientSpanMaxAttributes);
    at.push_back({"http.request.method", {std::string(r.method)}});
    at.push_back({"url.full", {std::string(spans.text_of(r.url_off, r.url_len))}});
    at.push_back({"server.address", {std::string(spans.text_of(r.address_off, r.address_len))}});
    at.push_back({"server.port", {std::int64_t{r.port}}});
    at.push_back({"network.protocol.version", {std::string("1.1")}});
    if (r.status > 0) at.push_back({"http.response.status_code", {std::int64_t{r.status}}});
    if (r.resend_count > 0)
      at.push_back({"http.request.resend_count", {std::int64_t{r.resend_count}}});
    if (settings.user_agent) at.push_back({"user_agent.original", {*settings.user_agent}});
    if (r.error) {
      // error.type: the status code when it is an error, else the transport outcome kind.
      std::string type =
          r.error_type.empty() ? std::to_string(r.status) : std::string(r.error_type);
      at.push_back({"error.type", {std::move(type)}});
      s.status_code = StatusCode::kError;
      s.status_message.assign(spans.text_of(r.message_off, r.message_len));
    }
    if (settings.limits) {  // the defaults never bite: 128 attributes, no length limit
      limit_attributes(at, s.dropped_attributes_count, settings.limits->attribute_count_limit,
                       settings.limits->attribute_value_length_limit);
    }
  }
}

const std::vector<ResourceSpans>& with_client_spans_as_span_data(
    const std::vector<ResourceSpans>& batch, std::vector<ResourceSpans>& scratch) {
  bool any = false;
  for (const auto& rs : batch)
    for (const auto& ss : rs.scope_spans) any = any || !ss.client_spans.empty();
  if (!any) return batch;
  scratch = batch;
  for (auto& rs : scratch) {
    for (auto& ss : rs.scope_spans) {
      for (const ClientSpanRange& r : ss.client_spans)
        append_span_data(*r.spans, r.first, r.count, ss.spans);
      ss.client_spans.clear();
    }
  }
  return scratch;
}

}  // namespace loadgen::otel
