// Tests for the framing fields' cheap case-insensitive match (detail::equals_lower) against
// core::iequals, and for framing fields spelled in any case through parse_response_head.
#include "http/framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/response_parser.hpp"

namespace loadgen::http {
namespace {

// Every constant the framing code matches, each byte of it replaced by every byte value but
// CR (which no name or value holds): equals_lower agrees with iequals.
TEST(Framing, EqualsLowerAgreesWithIequals) {
  for (const std::string_view lower : {"connection", "content-length", "transfer-encoding", "host",
                                       "chunked", "close", "keep-alive"}) {
    for (std::size_t at = 0; at < lower.size(); ++at) {
      for (int c = 0; c < 256; ++c) {
        if (c == '\r') continue;
        std::string s(lower);
        s[at] = static_cast<char>(c);
        EXPECT_EQ(detail::equals_lower(s, lower), core::iequals(s, lower))
            << lower << " byte " << c << " at " << at;
      }
    }
    std::string upper(lower);
    for (char& ch : upper) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    EXPECT_TRUE(detail::equals_lower(upper, lower));
    EXPECT_FALSE(detail::equals_lower(upper.substr(1), lower));
    EXPECT_FALSE(detail::equals_lower(upper + "s", lower));
  }
}

TEST(Framing, FieldsInAnyCase) {
  ResponseHead h;
  const auto parse = [&h](std::string_view s) {
    return parse_response_head(s.data(), s.size(), false, h, 64 * 1024).kind;
  };
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 7\r\ncOnNeCtIoN: Keep-Alive, CLOSE\r\n\r\n"),
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kLength);
  EXPECT_EQ(h.content_length, 7u);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("HTTP/1.0 200 OK\r\ncontent-length: 1\r\nCONNECTION: KEEP-ALIVE\r\n\r\n"),
            HeadResult::Kind::kDone);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\ntransfer-ENCODING: ChUnKeD\r\n\r\n"),
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kChunked);
  // Near misses of the same lengths are other fields.
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent_Length: 7\r\nConnectiom: close\r\n"
                  "Transfer-Encodinh: chunked\r\nContent-Length: 2\r\n\r\n"),
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kLength);
  EXPECT_EQ(h.content_length, 2u);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: closed, keep-alivf\r\n\r\n"),
            HeadResult::Kind::kDone);
  EXPECT_TRUE(h.keep_alive);
}

}  // namespace
}  // namespace loadgen::http
