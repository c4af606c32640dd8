// RFC 9112 §5 field lines: the one field-section parser that the request and response head
// parsers share. Views into the caller's bytes; no allocation beyond the caller's vector.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace loadgen::http {

struct HeaderField {
  std::string_view name;
  std::string_view value;  // trimmed of OWS
};

struct FieldSectionResult {
  enum class Kind { kDone, kNeedMore, kBad };
  Kind kind = Kind::kNeedMore;
  std::size_t consumed = 0;  // kDone: bytes up to and including the empty line that ends it
};

// Parses field lines from `in` (the bytes right after the start line) through the empty line
// that ends the section, appending each field to `fields` as it goes. field-line =
// field-name ":" OWS field-value OWS, ended by CRLF or a bare LF (RFC 9112 §2.2). kBad for
// obs-fold (§5.2), whitespace before the colon (§5.1), an empty or non-token name, and CR or
// NUL inside a value (RFC 9110 §5.5). kNeedMore when `in` ends before the empty line.
FieldSectionResult parse_field_section(std::string_view in, std::vector<HeaderField>& fields);

namespace detail {

// The first byte in [p, end) that is NUL, CR or LF, or `end`: what ends a field line's value
// (RFC 9110 §5.5). Reads no byte outside [p, end). find_line_delimiter uses SSE2 where the
// target has it and find_line_delimiter_scalar otherwise; both are here for the tests.
const char* find_line_delimiter(const char* p, const char* end);
const char* find_line_delimiter_scalar(const char* p, const char* end);

// Where a field line starting at `p` ends its name and its value: the first non-tchar byte
// (RFC 9110 §5.6.2) and the first NUL, CR or LF, each at or after `p`, `end` when there is none.
// Reads no byte outside [p, end). Exposed for the tests.
struct FieldLineScan {
  const char* name_end;
  const char* delimiter;
};
FieldLineScan scan_field_line(const char* p, const char* end);

}  // namespace detail

}  // namespace loadgen::http
