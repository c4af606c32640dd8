// Fuzz target for the shared RFC 9112 §5 field-section parser. Input: the bytes after a start
// line. Checks that every field is a token name with a trimmed value free of CR, LF and NUL;
// that every shorter prefix of a complete section asks for more bytes (and that a prefix of a
// malformed one never completes); and that re-serializing the fields parses back to the same
// fields. Aborts on any broken invariant.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/field_line.hpp"

namespace {

using loadgen::http::FieldSectionResult;
using loadgen::http::HeaderField;
using loadgen::http::parse_field_section;
using Kind = FieldSectionResult::Kind;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "field_line_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void check_fields(const std::vector<HeaderField>& fields, std::string_view in) {
  for (const HeaderField& f : fields) {
    check(!f.name.empty(), "empty field name");
    for (char c : f.name) check(is_tchar(c), "non-token byte in a name");
    check(f.value.empty() || (!is_ows(f.value.front()) && !is_ows(f.value.back())),
          "value not trimmed");
    for (char c : f.value) check(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in a value");
    check(f.name.data() >= in.data() && f.value.data() + f.value.size() <= in.data() + in.size(),
          "field view outside the input");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<HeaderField> fields;
  const FieldSectionResult whole = parse_field_section(in, fields);
  check_fields(fields, in);
  if (whole.kind == Kind::kDone) {
    check(whole.consumed > 0 && whole.consumed <= in.size(), "consumed out of range");
  } else {
    check(whole.consumed == 0, "consumed without completing");
  }

  // Incremental delivery: a prefix is never complete before the whole is, and never malformed
  // when the whole is not.
  const std::size_t stop = whole.kind == Kind::kDone ? whole.consumed : in.size();
  const std::size_t step = stop > 512 ? stop / 256 : 1;
  for (std::size_t n = 0; n < stop; n += step) {
    std::vector<HeaderField> prefix_fields;
    const FieldSectionResult r = parse_field_section(in.substr(0, n), prefix_fields);
    check(r.kind != Kind::kDone, "a prefix completed before the whole section");
    if (whole.kind != Kind::kBad) check(r.kind == Kind::kNeedMore, "a prefix was malformed");
  }
  if (whole.kind != Kind::kDone) return 0;
  {
    std::vector<HeaderField> again;
    const FieldSectionResult r = parse_field_section(in.substr(0, whole.consumed), again);
    check(r.kind == Kind::kDone && r.consumed == whole.consumed, "section alone differs");
    check(again.size() == fields.size(), "section alone gives other fields");
  }

  // Round trip: "name: value" CRLF per field, then CRLF, parses back to the same fields.
  std::string wire;
  for (const HeaderField& f : fields) {
    wire.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  wire.append("\r\n");
  std::vector<HeaderField> round;
  const FieldSectionResult r = parse_field_section(wire, round);
  check(r.kind == Kind::kDone && r.consumed == wire.size(), "re-serialized section not complete");
  check(round.size() == fields.size(), "re-serialized section gives another field count");
  for (std::size_t i = 0; i < round.size(); ++i) {
    check(round[i].name == fields[i].name && round[i].value == fields[i].value,
          "re-serialized field differs");
  }
  return 0;
}
