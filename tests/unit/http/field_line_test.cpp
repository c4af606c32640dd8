// Tests for the shared field-section parser (RFC 9112 §5) and its line-delimiter scan: the
// vector scan and the scalar one at every position of a 16-byte block and its tail, no byte
// read past the input, and the parser's verdicts against a byte-at-a-time reference.
#include "http/field_line.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/char_class.hpp"

namespace loadgen::http {
namespace {

using Kind = FieldSectionResult::Kind;
using namespace std::string_view_literals;

// A heap copy of exactly s.size() bytes, so that a read past its end is a heap overflow that
// AddressSanitizer reports.
std::unique_ptr<char[]> exact_copy(std::string_view s) {
  auto p = std::make_unique<char[]>(s.size());
  if (!s.empty()) std::memcpy(p.get(), s.data(), s.size());
  return p;
}

FieldSectionResult parse(std::string_view s, std::vector<HeaderField>& fields) {
  fields.clear();
  return parse_field_section(s, fields);
}

// The parser as it was before the vector scan (memchr for LF, then a byte loop for NUL and CR):
// the reference for its verdicts.
FieldSectionResult reference_parse(std::string_view in, std::vector<HeaderField>& fields) {
  fields.clear();
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
    const char* q = p;
    while (q != end && detail::is_tchar(*q)) ++q;
    if (q == end) return {Kind::kNeedMore, 0};
    if (*q != ':' || q == p) return {Kind::kBad, 0};
    const char* v = q + 1;
    const char* lf = v;
    while (lf != end && *lf != '\n') ++lf;
    if (lf == end) return {Kind::kNeedMore, 0};
    const char* value_end = lf;
    if (value_end != v && value_end[-1] == '\r') --value_end;
    for (const char* s = v; s != value_end; ++s) {
      if (*s == '\0' || *s == '\r') return {Kind::kBad, 0};
    }
    fields.push_back(
        HeaderField{std::string_view(p, static_cast<std::size_t>(q - p)),
                    core::trim_ows(std::string_view(v, static_cast<std::size_t>(value_end - v)))});
    p = lf + 1;
  }
}

TEST(FieldLineScan, FindsEachDelimiterAtEveryPosition) {
  for (const char delim : {'\0', '\r', '\n'}) {
    for (std::size_t len = 1; len <= 48; ++len) {
      for (std::size_t at = 0; at < len && at <= 40; ++at) {
        // Filler: letters, HTAB, SP and obs-text, none of which ends a line.
        std::string s;
        for (std::size_t i = 0; i < len; ++i) {
          static constexpr char kFill[] = {'a', '\t', ' ', '\x80', '\xff', 'Z', ':', '\x0b'};
          s += kFill[i % sizeof kFill];
        }
        s[at] = delim;
        const auto buf = exact_copy(s);
        const char* const b = buf.get();
        EXPECT_EQ(detail::find_line_delimiter(b, b + len) - b, static_cast<std::ptrdiff_t>(at))
            << "len " << len << " at " << at << " delim " << int{delim};
        EXPECT_EQ(detail::find_line_delimiter_scalar(b, b + len) - b,
                  static_cast<std::ptrdiff_t>(at))
            << "len " << len << " at " << at << " delim " << int{delim};
        // Starting past the delimiter: none found, and nothing read past the end.
        EXPECT_EQ(detail::find_line_delimiter(b + at + 1, b + len), b + len);
        EXPECT_EQ(detail::find_line_delimiter_scalar(b + at + 1, b + len), b + len);
      }
    }
  }
}

TEST(FieldLineScan, NoDelimiterGivesEndWithoutOverRead) {
  for (std::size_t len = 0; len <= 64; ++len) {
    std::string s;
    for (std::size_t i = 0; i < len; ++i) s += static_cast<char>(i % 2 == 0 ? '\x0e' : '\x0c');
    const auto buf = exact_copy(s);
    const char* const b = buf.get();
    EXPECT_EQ(detail::find_line_delimiter(b, b + len), b + len) << len;
    EXPECT_EQ(detail::find_line_delimiter_scalar(b, b + len), b + len) << len;
  }
}

TEST(FieldLineScan, EveryByteValue) {
  for (int c = 0; c < 256; ++c) {
    for (std::size_t at : {std::size_t{0}, std::size_t{7}, std::size_t{15}, std::size_t{16},
                           std::size_t{31}, std::size_t{33}}) {
      std::string s(40, 'x');
      s[at] = static_cast<char>(c);
      const auto buf = exact_copy(s);
      const char* const b = buf.get();
      const bool delim = c == 0 || c == '\r' || c == '\n';
      const char* const want = delim ? b + at : b + s.size();
      EXPECT_EQ(detail::find_line_delimiter(b, b + s.size()), want) << c << " at " << at;
      EXPECT_EQ(detail::find_line_delimiter_scalar(b, b + s.size()), want) << c << " at " << at;
    }
  }
}

// The name's end (first non-tchar) and the line's delimiter, for every byte value at every
// position 0..40 of lines of several lengths: in a 16-byte block, past it, and in the tail.
TEST(FieldLineScan, NameEndAndDelimiterForEveryByteAtEveryPosition) {
  for (const std::size_t len :
       {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{31},
        std::size_t{32}, std::size_t{41}, std::size_t{47}}) {
    for (std::size_t at = 0; at < len && at <= 40; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string s(len, 'k');
        for (std::size_t i = 0; i < len; i += 3) s[i] = '-';  // a tchar that is no letter
        s[at] = static_cast<char>(c);
        const auto buf = exact_copy(s);
        const char* const b = buf.get();
        const char* want_name = b;
        while (want_name != b + len && detail::is_tchar(*want_name)) ++want_name;
        const char* const want_delim = detail::find_line_delimiter_scalar(b, b + len);
        const detail::FieldLineScan got = detail::scan_field_line(b, b + len);
        ASSERT_EQ(got.name_end, want_name) << "len " << len << " at " << at << " byte " << c;
        ASSERT_EQ(got.delimiter, want_delim) << "len " << len << " at " << at << " byte " << c;
      }
    }
  }
}

// A name of tchars, then the colon, a value, and a delimiter at each position.
TEST(FieldLineScan, LongNamesAndValues) {
  for (std::size_t name_len = 1; name_len <= 40; ++name_len) {
    for (std::size_t value_len = 0; value_len <= 20; ++value_len) {
      const std::string s = std::string(name_len, 'N') + ":" + std::string(value_len, 'v') + "\r";
      const auto buf = exact_copy(s);
      const char* const b = buf.get();
      const detail::FieldLineScan got = detail::scan_field_line(b, b + s.size());
      ASSERT_EQ(got.name_end - b, static_cast<std::ptrdiff_t>(name_len));
      ASSERT_EQ(got.delimiter - b, static_cast<std::ptrdiff_t>(s.size() - 1));
      // Without the delimiter: the name's end is still found and the delimiter is `end`.
      const detail::FieldLineScan cut = detail::scan_field_line(b, b + s.size() - 1);
      ASSERT_EQ(cut.name_end - b, static_cast<std::ptrdiff_t>(name_len));
      ASSERT_EQ(cut.delimiter, b + s.size() - 1);
    }
    const std::string all_name(name_len, 'N');
    const auto buf = exact_copy(all_name);
    const detail::FieldLineScan got = detail::scan_field_line(buf.get(), buf.get() + name_len);
    EXPECT_EQ(got.name_end, buf.get() + name_len);
    EXPECT_EQ(got.delimiter, buf.get() + name_len);
  }
}

TEST(FieldSection, NulOrCrInValueAtEveryPositionIsRejected) {
  std::vector<HeaderField> fields;
  for (const char bad : {'\0', '\r'}) {
    for (std::size_t at = 0; at <= 40; ++at) {
      std::string value(41, 'v');
      value[at] = bad;
      const std::string line = "X-Long-Name: " + value;
      // With the line end (and the section end) present: malformed.
      const std::string whole = line + "\r\n\r\n";
      EXPECT_EQ(parse(whole, fields).kind, Kind::kBad) << "at " << at << " byte " << int{bad};
      // Without the line's LF yet: more bytes are needed first (the verdict waits for the LF).
      const auto buf = exact_copy(line);
      EXPECT_EQ(parse(std::string_view(buf.get(), line.size()), fields).kind, Kind::kNeedMore)
          << "at " << at << " byte " << int{bad};
      // The same byte in a second field, after a valid first one.
      const std::string two = "A: b\r\n" + whole;
      EXPECT_EQ(parse(two, fields).kind, Kind::kBad) << "at " << at << " byte " << int{bad};
    }
  }
}

TEST(FieldSection, CrEndsTheLineOnlyBeforeLf) {
  std::vector<HeaderField> fields;
  EXPECT_EQ(parse("A: b\r\r\n\r\n", fields).kind, Kind::kBad);
  EXPECT_EQ(parse("A: b\rc\n\r\n", fields).kind, Kind::kBad);
  EXPECT_EQ(parse("A: b\r", fields).kind, Kind::kNeedMore);
  EXPECT_EQ(parse("A: b\rc", fields).kind, Kind::kNeedMore);
  const FieldSectionResult r = parse("A: b\r\n\r\n", fields);
  ASSERT_EQ(r.kind, Kind::kDone);
  EXPECT_EQ(r.consumed, 8u);
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].value, "b");
}

TEST(FieldSection, ValueEndingAtTheInputEndNeedsMore) {
  std::vector<HeaderField> fields;
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string line = "Content-Type: " + std::string(n, 't');
    for (const std::string& s : {line, line + "\r", "A: b\r\n" + line}) {
      const auto buf = exact_copy(s);
      EXPECT_EQ(parse(std::string_view(buf.get(), s.size()), fields).kind, Kind::kNeedMore)
          << "n " << n << ": " << s;
    }
  }
}

TEST(FieldSection, ObsTextAndHtabInValuesAreAccepted) {
  std::vector<HeaderField> fields;
  std::string value;
  for (int c = 0x80; c <= 0xff; ++c) value += static_cast<char>(c);
  value += "a\tb";
  const std::string s = "X-Bin:\t " + value + " \t\r\nY:\tz\t\n\r\n";
  const auto buf = exact_copy(s);
  const FieldSectionResult r = parse(std::string_view(buf.get(), s.size()), fields);
  ASSERT_EQ(r.kind, Kind::kDone);
  EXPECT_EQ(r.consumed, s.size());
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].name, "X-Bin");
  EXPECT_EQ(fields[0].value, value);
  EXPECT_EQ(fields[1].name, "Y");
  EXPECT_EQ(fields[1].value, "z");
}

TEST(FieldSection, NameErrorsWithAndWithoutLineEnd) {
  std::vector<HeaderField> fields;
  for (const std::string_view s : {"A b: c\r\n\r\n"sv, "A b"sv, "A :c\r\n\r\n"sv, " A: c\r\n\r\n"sv,
                                   ": c\r\n\r\n"sv, "A\0: c\r\n\r\n"sv, "A\0"sv, "A\r\n\r\n"sv,
                                   "A\r"sv, "A\n"sv, "A@: c\r\n\r\n"sv, "A: b\r\n c\r\n\r\n"sv}) {
    EXPECT_EQ(parse(s, fields).kind, Kind::kBad) << s;
  }
  for (const std::string_view s : {"A", "Content-Length", "A:", "A: b\r\nB"}) {
    EXPECT_EQ(parse(s, fields).kind, Kind::kNeedMore) << s;
  }
}

// Random sections from an alphabet rich in the bytes that matter, against the reference.
TEST(FieldSection, SameVerdictsAsTheReference) {
  static constexpr char kAlphabet[] = {'a',  'B',    '-',    ':', ' ', '\t', '\r', '\n',
                                       '\0', '\x80', '\xff', '@', 'x', 'y',  'z',  '0'};
  std::mt19937 rng(7);
  std::vector<HeaderField> got;
  std::vector<HeaderField> want;
  for (int iter = 0; iter < 200000; ++iter) {
    const std::size_t len = rng() % 64;
    std::string s;
    // Often start from a valid line so that later lines get parsed too.
    if (rng() % 2 == 0) s = "Name: value\r\n";
    for (std::size_t i = 0; i < len; ++i) {
      // Mostly name and value bytes, sometimes a special one.
      s +=
          rng() % 4 == 0 ? kAlphabet[rng() % sizeof kAlphabet] : static_cast<char>('a' + rng() % 3);
      if (rng() % 16 == 0) s += ": ";
    }
    if (rng() % 2 == 0) s += "\r\n\r\n";
    const auto buf = exact_copy(s);
    const std::string_view in(buf.get(), s.size());
    const FieldSectionResult r = parse(in, got);
    const FieldSectionResult ref = reference_parse(in, want);
    ASSERT_EQ(r.kind, ref.kind) << testing::PrintToString(s);
    ASSERT_EQ(r.consumed, ref.consumed) << testing::PrintToString(s);
    if (r.kind != Kind::kDone) continue;
    ASSERT_EQ(got.size(), want.size()) << testing::PrintToString(s);
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].name, want[i].name);
      EXPECT_EQ(got[i].value, want[i].value);
    }
  }
}

}  // namespace
}  // namespace loadgen::http
