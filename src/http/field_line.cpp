// RFC 9112 §5 field-section parsing shared by the request and response head parsers.
//
// One pass per line: a vector scan finds the line's first NUL, CR or LF; the name's token check
// then needs no bounds check (it stops at that byte at the latest), and the value is the bytes
// between the colon and it. A NUL or CR that does not end the line is rejected only once the
// line's LF has arrived (before that the section asks for more bytes, as it always has).
#include "http/field_line.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/char_class.hpp"

namespace loadgen::http {

namespace detail {

const char* find_line_delimiter_scalar(const char* p, const char* end) {
  for (; p != end; ++p) {
    const char c = *p;
    if (c == '\n' || c == '\r' || c == '\0') return p;
  }
  return end;
}

const char* find_line_delimiter(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i nul = _mm_setzero_si128();
  while (end - p >= 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, lf), _mm_cmpeq_epi8(b, cr)),
                                     _mm_cmpeq_epi8(b, nul));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  return find_line_delimiter_scalar(p, end);
}

}  // namespace detail

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
    const char* const delim = detail::find_line_delimiter(p, end);
    // A line starting with whitespace is obs-fold (RFC 9112 §5.2): rejected. NUL, CR and LF are
    // not tchars, so the name ends at `delim` at the latest.
    const char* q = p;
    if (delim == end) {
      while (q != end && detail::is_tchar(*q)) ++q;
      if (q == end) return {Kind::kNeedMore, 0};
    } else {
      while (detail::is_tchar(*q)) ++q;
    }
    // Also rejects whitespace between name and colon (RFC 9112 §5.1: MUST reject) and NUL.
    if (*q != ':' || q == p) return {Kind::kBad, 0};
    if (delim == end) return {Kind::kNeedMore, 0};
    const char* lf = delim;
    if (*delim != '\n') {
      // RFC 9110 §5.5: CR, LF and NUL are invalid in field values; CR may only end the line.
      if (*delim == '\r' && delim + 1 != end && delim[1] == '\n') {
        lf = delim + 1;
      } else if (std::memchr(delim, '\n', static_cast<std::size_t>(end - delim)) == nullptr) {
        return {Kind::kNeedMore, 0};
      } else {
        return {Kind::kBad, 0};
      }
    }
    const char* const v = q + 1;
    fields.push_back(
        HeaderField{std::string_view(p, static_cast<std::size_t>(q - p)),
                    core::trim_ows(std::string_view(v, static_cast<std::size_t>(delim - v)))});
    p = lf + 1;
  }
}

}  // namespace loadgen::http
