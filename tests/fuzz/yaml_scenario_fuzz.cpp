// Fuzz target for the YAML scenario loader (scenario/yaml/loader.hpp, load_text): any input
// either loads or is refused with an Error whose every line names the file ("fuzz.yaml:...");
// nothing throws, hangs or crashes (YAML aliases and define calls are bounded by the loader's
// work budget). Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scenario/yaml/loader.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "yaml_scenario_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // A path in a directory that does not exist: data files cannot be read from the fuzzer.
  auto r = loadgen::scenario::yaml::load_text(input, "/nonexistent/fuzz.yaml",
                                              loadgen::scenario::FileSettings{});
  if (r.ok()) {
    check(!r->user_classes.empty(), "a loaded scenario has user classes");
    for (const auto& cls : r->user_classes) {
      check(!cls.tasks.empty(), "every class has tasks");
      check(static_cast<bool>(cls.make), "every class makes users");
    }
    return 0;
  }
  const std::string& m = r.error().message;
  check(!m.empty(), "an error has a message");
  std::size_t start = 0;
  while (start <= m.size()) {
    const std::size_t end = m.find('\n', start);
    const std::string_view line(m.data() + start,
                                (end == std::string::npos ? m.size() : end) - start);
    check(line.rfind("/nonexistent/fuzz.yaml", 0) == 0, "every problem names the file");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return 0;
}
