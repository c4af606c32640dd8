// Fuzz target for Baggage::parse and Baggage::header. Checks that parsed entries are well
// formed, the header respects the W3C limits (64 members, 8192 bytes), and that header →
// parse → header is a fixed point. Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/utf8.hpp"
#include "otel/baggage.hpp"

namespace {

using loadgen::otel::Baggage;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "baggage_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Baggage b = Baggage::parse(input);
  for (const auto& e : b.entries()) {
    check(loadgen::otel::is_http_token(e.name), "name is not a token");
    check(loadgen::core::is_valid_utf8(e.value), "value is not UTF-8");
    check(e.properties.find(',') == std::string::npos, "properties contain ','");
  }
  const std::string h = b.header();
  check(h.size() <= loadgen::otel::kBaggageMaxBytes, "header too long");
  for (char c : h) {
    const auto u = static_cast<unsigned char>(c);
    check((u >= 0x20 && u < 0x7F) || c == '\t', "header byte not sendable");
  }
  const Baggage again = Baggage::parse(h);
  check(again.size() <= loadgen::otel::kBaggageMaxMembers, "too many members");
  check(again.size() <= b.size(), "members appeared");
  for (const auto& e : again.entries()) {
    const auto v = b.get(e.name);
    check(v.has_value() && *v == e.value, "value changed in round trip");
  }
  check(again.header() == h, "header is not a fixed point");
  return 0;
}
