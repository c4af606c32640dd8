// OTLP/JSON log encoding (see otlp_json.hpp): the JSON names of logs/v1/logs.proto
// (opentelemetry-proto v1.x) in lowerCamelCase, members in field-number order.
#include <cstdint>

#include "otel/otlp_json.hpp"
#include "otel/otlp_json_common.hpp"

namespace loadgen::otel {

namespace {

using namespace json_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

void log_record_members(std::string& o, bool& f, const LogRecord& r) {
  uint64_member(o, f, "timeUnixNano", r.time_unix_nano);
  number_member(o, f, "severityNumber", static_cast<std::uint32_t>(r.severity_number));
  string_member(o, f, "severityText", r.severity_text);
  if (r.body) {
    key(o, f, "body");
    any_value(o, *r.body);
  }
  attributes(o, f, "attributes", r.attributes);
  number_member(o, f, "droppedAttributesCount", r.dropped_attributes_count);
  number_member(o, f, "flags", r.flags);
  id_member_if_valid(o, f, "traceId", r.trace_id);
  id_member_if_valid(o, f, "spanId", r.span_id);
  uint64_member(o, f, "observedTimeUnixNano", r.observed_time_unix_nano);
  string_member(o, f, "eventName", r.event_name);
}

}  // namespace

void encode_export_logs_request_json(const std::vector<ResourceLogs>& batch, std::string& out) {
  encode_envelopes(batch, out, log_record_members);
}

}  // namespace loadgen::otel
