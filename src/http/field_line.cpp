// RFC 9112 §5 field-section parsing shared by the request and response head parsers.
#include "http/field_line.hpp"

#include <cstring>

#include "http/char_class.hpp"

namespace loadgen::http {

FieldSectionResult parse_field_section(std::string_view in, std::vector<HeaderField>& fields) {
  using Kind = FieldSectionResult::Kind;
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* p = begin;
  while (true) {
    if (p == end) return {Kind::kNeedMore, 0};
    if (*p == '\n') return {Kind::kDone, static_cast<std::size_t>(p + 1 - begin)};
    if (*p == '\r') {
      if (p + 1 == end) return {Kind::kNeedMore, 0};
      if (p[1] != '\n') return {Kind::kBad, 0};
      return {Kind::kDone, static_cast<std::size_t>(p + 2 - begin)};
    }
    // A line starting with whitespace is obs-fold (RFC 9112 §5.2): rejected.
    const char* q = p;
    while (q != end && detail::is_tchar(*q)) ++q;
    if (q == end) return {Kind::kNeedMore, 0};
    // Also rejects whitespace between name and colon (RFC 9112 §5.1: MUST reject) and NUL.
    if (*q != ':' || q == p) return {Kind::kBad, 0};
    const std::string_view name(p, static_cast<std::size_t>(q - p));
    const char* v = q + 1;
    const auto* lf =
        static_cast<const char*>(std::memchr(v, '\n', static_cast<std::size_t>(end - v)));
    if (lf == nullptr) return {Kind::kNeedMore, 0};
    const char* value_end = lf;
    if (value_end != v && value_end[-1] == '\r') --value_end;
    // RFC 9110 §5.5: CR, LF and NUL are invalid in field values.
    for (const char* s = v; s != value_end; ++s) {
      if (*s == '\0' || *s == '\r') return {Kind::kBad, 0};
    }
    fields.push_back(HeaderField{
        name, core::trim_ows(std::string_view(v, static_cast<std::size_t>(value_end - v)))});
    p = lf + 1;
  }
}

}  // namespace loadgen::http
