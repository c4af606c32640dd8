// Fuzz target for what collectors send back: OTLP ExportTraceServiceResponse and google.rpc.Status
// in protobuf and in JSON (otel/otlp_proto.hpp, otel/otlp_json.hpp). Every input goes to all four
// decoders; also, as a string, through both encoders. Checks: success xor a "bad_response" error,
// valid UTF-8 out, non-negative retry delays, determinism, a partial success that re-encodes to
// the same values, and encoder output that is valid UTF-8 with no raw control characters in JSON.
// Aborts on any violation.
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
    std::fprintf(stderr, "otlp_response_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

bool utf8(std::string_view s) { return loadgen::core::is_valid_utf8(s); }

template <class T>
void check_error(const loadgen::core::Result<T>& r) {
  if (!r.ok())
    check(r.error().code == "bad_response" && !r.error().message.empty(), "error code/message");
}

void partial_success(std::string_view in, bool json) {
  const auto a = json ? decode_export_trace_response_json(in) : decode_export_trace_response(in);
  const auto b = json ? decode_export_trace_response_json(in) : decode_export_trace_response(in);
  check_error(a);
  check(a.ok() == b.ok(), "deterministic");
  if (!a.ok()) return;
  check(a->rejected == b->rejected && a->error_message == b->error_message, "deterministic value");
  check(utf8(a->error_message), "error_message is UTF-8");
  // Re-encode {1: partial_success {1: rejected, 2: error_message}} and decode again.
  std::string bytes;
  ProtobufWriter w(bytes);
  const auto m = w.begin_message(1);
  if (a->rejected != 0) w.int64_field(1, a->rejected);
  if (!a->error_message.empty()) w.string_field(2, a->error_message);
  w.end_message(m);
  const auto c = decode_export_trace_response(bytes);
  check(c.ok() && c->rejected == a->rejected && c->error_message == a->error_message, "round trip");
}

void rpc_status(std::string_view in, bool json) {
  const auto a = json ? decode_rpc_status_json(in) : decode_rpc_status(in);
  const auto b = json ? decode_rpc_status_json(in) : decode_rpc_status(in);
  check_error(a);
  check(a.ok() == b.ok(), "deterministic");
  if (!a.ok()) return;
  check(a->code == b->code && a->message == b->message && a->retry_delay == b->retry_delay,
        "deterministic value");
  check(utf8(a->message), "message is UTF-8");
  check(!a->retry_delay || a->retry_delay->count() >= 0, "retry delay >= 0");
}

void encoders(std::string_view in) {
  std::vector<ResourceSpans> batch(1);
  batch[0].scope_spans.resize(1);
  SpanData s;
  s.trace_id[0] = 1;
  s.span_id[0] = 1;
  s.name = std::string(in);
  s.attributes = {{std::string(in), AttrValue{std::string(in)}},
                  {"a", AttrValue{AttrArray{AttrValue{std::string(in)}}}}};
  batch[0].scope_spans[0].spans.push_back(std::move(s));
  std::string out;
  encode_export_trace_request_json(batch, out);
  check(utf8(out), "JSON output is UTF-8");
  for (char c : out)
    check(static_cast<unsigned char>(c) >= 0x20, "no raw control characters in JSON");
  encode_export_trace_request(batch, out);
  check(!out.empty(), "protobuf output");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  partial_success(in, false);
  partial_success(in, true);
  rpc_status(in, false);
  rpc_status(in, true);
  encoders(in);
  return 0;
}
