// Fuzz target: the --people file parser (outside input). Any input must give a result or an
// error naming the source, never a crash; an accepted file yields checkout bodies that are
// objects ending in the added userId.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "scenario/people.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = loadgen::scenario::parse_people(text, "fuzz");
  if (!r) {
    if (r.error().message.rfind("fuzz: ", 0) != 0) std::abort();
    return 0;
  }
  if (r->open_objects.empty()) std::abort();
  for (std::size_t i = 0; i < r->open_objects.size(); ++i) {
    const std::string body = r->checkout_body(i, "00000000-0000-4000-8000-000000000000");
    if (body.front() != '{' ||
        !body.ends_with("\"userId\":\"00000000-0000-4000-8000-000000000000\"}")) {
      std::abort();
    }
  }
  return 0;
}
