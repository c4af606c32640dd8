// Fuzz target for flags::parse_ofrep_response. Input: "STATUS\nBODY" when it starts with three
// digits and a newline, else the whole input is a 200 body. Checks that every input gives a
// consistent result (success xor error, error codes set, the parser's own error kinds only) and
// that parsing is deterministic. Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "flags/ofrep_protocol.hpp"

namespace {

using loadgen::flags::EvalError;
using loadgen::flags::OfrepResult;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ofrep_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

bool same(const OfrepResult& a, const OfrepResult& b) {
  return a.error == b.error && a.value == b.value && a.key == b.key && a.variant == b.variant &&
         a.reason == b.reason && a.error_code == b.error_code && a.error_details == b.error_details;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  int status = 200;
  if (input.size() >= 4 && input[3] == '\n' && input[0] >= '1' && input[0] <= '5' &&
      input[1] >= '0' && input[1] <= '9' && input[2] >= '0' && input[2] <= '9') {
    status = (input[0] - '0') * 100 + (input[1] - '0') * 10 + (input[2] - '0');
    input.remove_prefix(4);
  }
  const OfrepResult r = loadgen::flags::parse_ofrep_response(status, input);
  switch (r.error) {
    case EvalError::kNone:
      check(status >= 200 && status < 300, "success from a non-2xx status");
      check(r.error_code.empty() && r.error_details.empty(), "success with an error code");
      break;
    case EvalError::kMalformed:
      check(r.error_code == "PARSE_ERROR" && !r.error_details.empty(), "malformed shape");
      break;
    case EvalError::kHttpStatus:
      check(status < 200 || status >= 300, "http_status error from a 2xx status");
      check(r.error_code == "GENERAL" && !r.error_details.empty(), "http_status shape");
      break;
    case EvalError::kFlagNotFound:
      check(r.error_code == "FLAG_NOT_FOUND", "flag_not_found code");
      break;
    case EvalError::kFlagError:
      check(!r.error_code.empty() && r.error_code != "FLAG_NOT_FOUND", "flag_error code");
      break;
    case EvalError::kTransport:
    case EvalError::kTimeout:
    case EvalError::kTypeMismatch:
    case EvalError::kConfig:
      check(false, "error kind the parser never produces");
      break;
  }
  if (!r.ok()) check(std::holds_alternative<std::monostate>(r.value), "value on an error");
  check(same(r, loadgen::flags::parse_ofrep_response(status, input)), "not deterministic");
  return 0;
}
