// RFC 9112 §5 field-section parsing shared by the request and response head parsers.
//
// One pass per line: a vector scan finds the name's end (its first non-tchar byte) and the line's
// first NUL, CR or LF, most often in one 16-byte block; the value is the bytes between the
// colon and that delimiter. A NUL or CR that does not end the line is rejected only once the
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

namespace {

#if defined(__SSE2__)
// 0xff in each lane whose byte is not a letter, digit or '-': the bytes of nearly every field
// name, in fewer operations than the whole tchar set (RFC 9110 §5.6.2). Setting bit 0x20 folds
// capitals onto lowercase letters and no other byte onto them. The compares are signed: bytes
// >= 0x80 are negative and fall outside every range.
inline __m128i not_alnum_or_dash(__m128i b) {
  const auto in = [](__m128i x, char lo, char hi) {
    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                         _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
  };
  const __m128i letter = in(_mm_or_si128(b, _mm_set1_epi8(0x20)), 'a', 'z');
  const __m128i digit = in(b, '0', '9');
  const __m128i dash = _mm_cmpeq_epi8(b, _mm_set1_epi8('-'));
  const __m128i ok = _mm_or_si128(_mm_or_si128(letter, digit), dash);
  return _mm_cmpeq_epi8(ok, _mm_setzero_si128());
}
#endif

// detail::scan_field_line, inlined into the parser's loop.
[[gnu::always_inline]] inline FieldLineScan scan_line(const char* p, const char* end) {
#if defined(__SSE2__)
  // Most names are shorter than 16 bytes: one block then gives the name's end and the line's
  // delimiter, or where the value's scan goes on; each block's first test is well predicted.
  while (end - p >= 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto name_mask = static_cast<unsigned>(_mm_movemask_epi8(not_alnum_or_dash(b)));
    if (name_mask == 0) {
      p += 16;  // all name bytes, so no delimiter either
      continue;
    }
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('\n')),
                                                  _mm_cmpeq_epi8(b, _mm_set1_epi8('\r'))),
                                     _mm_cmpeq_epi8(b, _mm_setzero_si128()));
    const auto delim_mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    const char* q = p + __builtin_ctz(name_mask);
    // A tchar other than a letter, digit or '-' ("X_Y", "a.b"): the rest of the name by table.
    // It ends before `end` at the latest (a NUL, CR or LF, or a colon, is no tchar), unless
    // the line is cut off.
    while (q != end && is_tchar(*q)) ++q;
    return {q, delim_mask != 0 ? p + __builtin_ctz(delim_mask) : find_line_delimiter(p + 16, end)};
  }
#endif
  const char* q = p;
  while (q != end && is_tchar(*q)) ++q;
  return {q, find_line_delimiter_scalar(q, end)};
}

}  // namespace

FieldLineScan scan_field_line(const char* p, const char* end) { return scan_line(p, end); }

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
    // A line starting with whitespace is obs-fold (RFC 9112 §5.2): rejected.
    const detail::FieldLineScan scan = detail::scan_line(p, end);
    const char* const q = scan.name_end;
    const char* const delim = scan.delimiter;
    if (q == end) return {Kind::kNeedMore, 0};
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
