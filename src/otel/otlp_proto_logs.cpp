// OTLP/protobuf log encoding (see otlp_proto.hpp). Field numbers are opentelemetry-proto v1.x's
// logs/v1/logs.proto (event_name since v1.5.0); fields are written in number order.
#include <cstdint>

#include "otel/otlp_proto.hpp"
#include "otel/otlp_proto_common.hpp"

namespace loadgen::otel {

namespace {

using namespace proto_enc;  // NOLINT(google-build-using-namespace): this file's vocabulary

// LogRecord {1 time_unix_nano, 2 severity_number, 3 severity_text, 5 body, 6 attributes,
// 7 dropped_attributes_count, 8 flags fixed32, 9 trace_id, 10 span_id,
// 11 observed_time_unix_nano, 12 event_name} (4 reserved)
void write_log_record(ProtobufWriter& w, const LogRecord& r) {
  write_fixed64_if(w, 1, r.time_unix_nano);
  write_uint32_if(w, 2, static_cast<std::uint32_t>(r.severity_number));
  write_string_if(w, 3, r.severity_text);
  if (r.body) {
    const auto m = w.begin_message(5);
    write_any_value(w, *r.body);
    w.end_message(m);
  }
  write_attributes(w, 6, r.attributes);
  write_uint32_if(w, 7, r.dropped_attributes_count);
  write_fixed32_if(w, 8, r.flags);
  write_id_if_valid(w, 9, r.trace_id);
  write_id_if_valid(w, 10, r.span_id);
  write_fixed64_if(w, 11, r.observed_time_unix_nano);
  write_string_if(w, 12, r.event_name);
}

}  // namespace

void encode_export_logs_request(const std::vector<ResourceLogs>& batch, std::string& out) {
  encode_envelopes(batch, out, write_log_record);
}

void encode_logs_data(const std::vector<ResourceLogs>& batch, std::string& out) {
  encode_envelopes(batch, out, write_log_record);
}

}  // namespace loadgen::otel
