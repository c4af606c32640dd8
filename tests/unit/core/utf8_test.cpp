#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::core {
namespace {

const std::string kR(kUtf8Replacement);

std::string sanitized(std::string_view s) {
  std::string out;
  append_utf8_sanitized(out, s);
  return out;
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("Zürich ☃ \xF0\x9F\x98\x80"));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\x80"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));  // truncated
  std::string out;
  append_utf8_sanitized(out, "a\xC0\x80z");
  EXPECT_EQ(out, "a\xEF\xBF\xBD\xEF\xBF\xBDz");
}

TEST(Utf8, ValidPrefixAndSequences) {
  EXPECT_EQ(utf8_valid_prefix(""), 0U);
  EXPECT_EQ(utf8_valid_prefix("plain ascii text, long enough for the fast path"), 47U);
  EXPECT_EQ(utf8_valid_prefix("\xF4\x8F\xBF\xBF"), 4U);      // U+10FFFF
  EXPECT_EQ(utf8_valid_prefix("ab\xF4\x90\x80\x80"), 2U);    // > U+10FFFF
  EXPECT_EQ(utf8_valid_prefix("12345678\xE0\x80\x80"), 8U);  // overlong 3-byte
  bool valid = false;
  EXPECT_EQ(utf8_sequence("\xE2\x82\xAC", 0, valid), 3U);
  EXPECT_TRUE(valid);
  EXPECT_EQ(utf8_sequence("\xE2\x82", 0, valid), 2U);
  EXPECT_FALSE(valid);
  EXPECT_EQ(utf8_sequence("\xE2\x41", 0, valid), 1U);
  EXPECT_FALSE(valid);
  std::string out;
  append_utf8_sanitized(out, "\x80\x80x\xF5");
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBDx\xEF\xBF\xBD");
}

TEST(Utf8, InvalidSequencesBecomeOneReplacementPerMaximalSubpart) {
  EXPECT_EQ(sanitized("\xFF"), kR);                     // never a lead byte
  EXPECT_EQ(sanitized("\xC1\xBF"), kR + kR);            // C0/C1: two bytes, two subparts
  EXPECT_EQ(sanitized("\xBF\xBF"), kR + kR);            // stray continuation bytes
  EXPECT_EQ(sanitized("\xE2\x28\xA1"), kR + "(" + kR);  // a break after the lead
  EXPECT_EQ(sanitized("\xF0\x9F\x98"
                      "a"),
            kR + "a");                                          // 3 of 4 bytes, then ASCII
  EXPECT_EQ(sanitized("\xF5\x80\x80\x80"), kR + kR + kR + kR);  // F5..FF never start one
  // The Unicode 15 §3.9 Table 3-11 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  EXPECT_EQ(sanitized("a\xF1\x80\x80\xE1\x80\xC2"
                      "b\x80"
                      "c\x80\xBF"
                      "d"),
            "a" + kR + kR + kR + "b" + kR + "c" + kR + kR + "d");
}

TEST(Utf8, Overlongs) {
  for (const char* s :
       {"\xC0\xAF", "\xE0\x80\xAF", "\xE0\x9F\xBF", "\xF0\x80\x80\xAF", "\xF0\x8F\xBF\xBF"}) {
    EXPECT_FALSE(is_valid_utf8(s)) << s;
    EXPECT_TRUE(is_valid_utf8(sanitized(s)));
  }
  EXPECT_TRUE(is_valid_utf8("\xC2\x80"));          // U+0080, the first two-byte form
  EXPECT_TRUE(is_valid_utf8("\xE0\xA0\x80"));      // U+0800
  EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000
  EXPECT_EQ(sanitized("\xE0\x80\xAF"), kR + kR + kR);
}

TEST(Utf8, Surrogates) {
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));  // U+DFFF
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));   // U+D7FF
  EXPECT_TRUE(is_valid_utf8("\xEE\x80\x80"));   // U+E000
  // CESU-8 pair for U+1F600: each byte of each half is its own maximal subpart.
  EXPECT_EQ(sanitized("\xED\xA0\xBD\xED\xB8\x80"), kR + kR + kR + kR + kR + kR);
}

TEST(Utf8, TruncatedAtTheEndOfTheInput) {
  EXPECT_EQ(utf8_valid_prefix("ab\xE2\x82"), 2U);
  EXPECT_EQ(sanitized("ab\xE2\x82"), "ab" + kR);  // one subpart, one replacement
  EXPECT_EQ(sanitized("ab\xF0\x9F\x98"), "ab" + kR);
  EXPECT_EQ(sanitized("ab\xC3"), "ab" + kR);
  bool valid = true;
  EXPECT_EQ(utf8_sequence("\xF0\x9F\x98", 0, valid), 3U);
  EXPECT_FALSE(valid);
}

TEST(Utf8, TruncateKeepsWholeCharacters) {
  std::string s = "ab\xE2\x82\xAC";  // "ab€"
  utf8_truncate(s, 10);
  EXPECT_EQ(s, "ab\xE2\x82\xAC");
  utf8_truncate(s, 5);
  EXPECT_EQ(s, "ab\xE2\x82\xAC");
  utf8_truncate(s, 4);  // would cut the euro sign: back to its start
  EXPECT_EQ(s, "ab");
  s = "ab\xE2\x82\xAC";
  utf8_truncate(s, 3);
  EXPECT_EQ(s, "ab");
  s = "\xF0\x9F\x98\x80x";
  utf8_truncate(s, 4);
  EXPECT_EQ(s, "\xF0\x9F\x98\x80");
  utf8_truncate(s, 0);
  EXPECT_EQ(s, "");
}

}  // namespace
}  // namespace loadgen::core
