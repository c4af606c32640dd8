// Fuzz target for cluster::decode, the parser of what a master or worker receives: any bytes
// give a message or a "protocol" error naming the message; a decoded message encodes, and the
// encoding decodes again to the same message (with stats_total filled in as the encoder does)
// and encodes to the same bytes. Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/message.hpp"

namespace {

void check(bool ok, const char* what, const std::string& detail = {}) {
  if (!ok) {
    std::fprintf(stderr, "cluster_message_fuzz: invariant failed: %s %s\n", what, detail.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace loadgen::cluster;  // NOLINT(google-build-using-namespace)
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto m = decode(frame);
  if (!m) {
    check(m.error().code == "protocol", "error code");
    check(!m.error().message.empty(), "error message");
    return 0;
  }
  check(m->type == MessageType::kUnknown || m->type_name == to_string(m->type), "type name");
  if (auto* r = std::get_if<StatsReport>(&m->data); r != nullptr && !r->total) {
    r->total = stats_total_of(r->delta);  // what encode() writes for a missing total
  }
  const std::string bytes = encode(*m);
  auto back = decode(bytes);
  check(back.ok(), "re-encoded message decodes", back.ok() ? "" : back.error().message);
  check(message_difference(*m, *back).empty(), "round trip", message_difference(*m, *back));
  check(encode(*back) == bytes, "encoding is stable");
  return 0;
}
