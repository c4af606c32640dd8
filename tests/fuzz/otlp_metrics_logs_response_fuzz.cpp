// Fuzz target for what collectors send back to the metrics and logs exporters: OTLP
// ExportMetricsServiceResponse and ExportLogsServiceResponse in protobuf (otel/otlp_proto.hpp),
// plus their JSON forms (otel/otlp_json.hpp). The three signals share one wire layout, so the
// metrics, logs and trace protobuf decoders must agree on every input. Also sends the input, as
// strings, through the metrics and logs encoders. Checks: success xor a "bad_response" error,
// agreement, valid UTF-8 out, a partial success that re-encodes to the same values, encoder
// output that is valid UTF-8 with no raw control characters in JSON. Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.hpp"
#include "otel/otlp_json.hpp"
#include "otel/otlp_proto.hpp"
#include "otel/protobuf_writer.hpp"

namespace {

using namespace loadgen::otel;  // NOLINT(google-build-using-namespace)

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "otlp_metrics_logs_response_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

bool utf8(std::string_view s) { return loadgen::core::is_valid_utf8(s); }

bool same(const loadgen::core::Result<PartialSuccess>& a,
          const loadgen::core::Result<PartialSuccess>& b) {
  if (a.ok() != b.ok()) return false;
  return !a.ok() || (a->rejected == b->rejected && a->error_message == b->error_message);
}

void check_result(const loadgen::core::Result<PartialSuccess>& r) {
  if (!r.ok()) {
    check(r.error().code == "bad_response" && !r.error().message.empty(), "error code/message");
    return;
  }
  check(utf8(r->error_message), "error_message is UTF-8");
}

void protobuf_responses(std::string_view in) {
  const auto metrics = decode_export_metrics_response(in);
  const auto logs = decode_export_logs_response(in);
  check_result(metrics);
  check_result(logs);
  check(same(metrics, logs), "metrics and logs decoders agree");
  check(same(metrics, decode_export_trace_response(in)), "metrics and trace decoders agree");
  check(same(metrics, decode_export_metrics_response(in)), "deterministic");
  if (!metrics.ok()) return;
  // Re-encode {1: partial_success {1: rejected, 2: error_message}} and decode again.
  std::string bytes;
  ProtobufWriter w(bytes);
  const auto m = w.begin_message(1);
  if (metrics->rejected != 0) w.int64_field(1, metrics->rejected);
  if (!metrics->error_message.empty()) w.string_field(2, metrics->error_message);
  w.end_message(m);
  check(same(decode_export_logs_response(bytes), metrics), "round trip");
}

void json_responses(std::string_view in) {
  const auto metrics = decode_export_metrics_response_json(in);
  const auto logs = decode_export_logs_response_json(in);
  check_result(metrics);
  check_result(logs);
  check(same(metrics, decode_export_metrics_response_json(in)), "deterministic (JSON)");
  check(same(logs, decode_export_logs_response_json(in)), "deterministic (JSON)");
}

void check_json(const std::string& out) {
  check(utf8(out), "JSON output is UTF-8");
  for (char c : out)
    check(static_cast<unsigned char>(c) >= 0x20, "no raw control characters in JSON");
}

void encoders(std::string_view in) {
  const std::string s(in);
  std::vector<ResourceMetrics> metrics(1);
  metrics[0].scope_metrics.resize(1);
  Metric metric{s, s, s, Sum{}, {{s, AttrValue{s}}}};
  std::get<Sum>(metric.data)
      .data_points.push_back(
          {{{s, AttrValue{AttrArray{AttrValue{s}}}}}, 1, 2, NumberValue{0.5}, {}, 0});
  metrics[0].scope_metrics[0].metrics.push_back(std::move(metric));
  std::string out;
  encode_export_metrics_request_json(metrics, out);
  check_json(out);
  encode_export_metrics_request(metrics, out);
  check(!out.empty(), "metrics protobuf output");

  std::vector<ResourceLogs> logs(1);
  logs[0].scope_logs.resize(1);
  LogRecord r;
  r.severity_text = s;
  r.body = AttrValue{s};
  r.attributes = {{s, AttrValue{s}}};
  r.event_name = s;
  logs[0].scope_logs[0].log_records.push_back(std::move(r));
  encode_export_logs_request_json(logs, out);
  check_json(out);
  encode_export_logs_request(logs, out);
  check(!out.empty(), "logs protobuf output");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  protobuf_responses(in);
  json_responses(in);
  encoders(in);
  return 0;
}
