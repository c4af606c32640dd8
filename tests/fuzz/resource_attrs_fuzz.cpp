// Fuzz target for OTEL_RESOURCE_ATTRIBUTES parsing and make_resource. Checks that parsed keys
// are non-empty, unique UTF-8, that re-encoding parses back to the same list, and that the
// resource always starts with service.name and names this SDK. Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "core/utf8.hpp"
#include "otel/baggage.hpp"
#include "otel/resource.hpp"

namespace {

using namespace loadgen::otel;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "resource_attrs_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto kv = parse_resource_attributes(input, &error);
  if (kv) {
    std::string encoded;
    for (std::size_t i = 0; i < kv->size(); ++i) {
      const auto& [k, v] = (*kv)[i];
      check(!k.empty() && loadgen::core::is_valid_utf8(k) && loadgen::core::is_valid_utf8(v),
            "key/value shape");
      for (std::size_t j = 0; j < i; ++j) check((*kv)[j].first != k, "duplicate key");
      if (i > 0) encoded += ',';
      // '=' is a baggage-octet but MUST be encoded in a key here (resource/sdk.md).
      std::string key;
      percent_encode_baggage(k, key);
      for (char c : key) encoded += c == '=' ? std::string("%3D") : std::string(1, c);
      encoded += '=';
      percent_encode_baggage(v, encoded);
    }
    const auto again = parse_resource_attributes(encoded, &error);
    check(again.has_value() && *again == *kv, "re-encoded list does not round-trip");
  } else {
    check(!error.empty(), "error without a message");
  }
  std::vector<std::string> warnings;
  const Resource r =
      make_resource({{"OTEL_RESOURCE_ATTRIBUTES", input}}, "loadgen", ResourceFacts{}, &warnings);
  check(warnings.size() == (kv || input.empty() ? 0u : 1u), "warnings");
  check(!r.attributes.empty() && r.attributes[0].key == "service.name", "service.name first");
  bool sdk = false;
  for (const auto& a : r.attributes) {
    if (a.key == "telemetry.sdk.name") sdk = std::get<std::string>(a.value.v) == kSdkName;
  }
  check(sdk, "telemetry.sdk.name");
  return 0;
}
