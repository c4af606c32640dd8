// Tests for the framing fields' cheap case-insensitive match (detail::equals_lower) against
// core::iequals, and for framing fields spelled in any case through parse_response_head.
#include "http/framing.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

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

TEST(Framing, ContentLengthSingleValueAndLists) {
  const auto cl = [](std::initializer_list<std::string_view> values) {
    detail::Framing f;
    for (const std::string_view v : values) f.field("Content-Length", v);
    EXPECT_TRUE(f.has_cl);
    return f;
  };
  EXPECT_EQ(cl({"615"}).cl, 615u);
  EXPECT_FALSE(cl({"615"}).cl_bad);
  EXPECT_EQ(cl({"0"}).cl, 0u);
  EXPECT_EQ(cl({"007"}).cl, 7u);
  EXPECT_EQ(cl({"9999999999999999999"}).cl, 9999999999999999999u);  // 19 digits
  EXPECT_FALSE(cl({"9999999999999999999"}).cl_bad);
  EXPECT_EQ(cl({"18446744073709551609"}).cl, 18446744073709551609u);  // 20 digits, by the list
  EXPECT_TRUE(cl({"18446744073709551615"}).cl_bad);                   // UINT64_MAX: over the limit
  EXPECT_TRUE(cl({"99999999999999999999"}).cl_bad);
  EXPECT_FALSE(cl({"615", "615"}).cl_bad);
  EXPECT_TRUE(cl({"615", "616"}).cl_bad);
  EXPECT_FALSE(cl({"5, 5", "5"}).cl_bad);
  EXPECT_TRUE(cl({"5,6"}).cl_bad);
  EXPECT_TRUE(cl({"5", "5,6"}).cl_bad);
  EXPECT_TRUE(cl({""}).cl_bad);
  EXPECT_TRUE(cl({"+5"}).cl_bad);
  EXPECT_TRUE(cl({"5a"}).cl_bad);
  EXPECT_TRUE(cl({"12345678901234567890a"}).cl_bad);
  EXPECT_EQ(cl({" 5 "}).cl, 5u);
}

TEST(Framing, ConnectionOptions) {
  const auto conn = [](std::string_view value) {
    detail::Framing f;
    EXPECT_TRUE(f.field("Connection", value));
    return std::pair{f.conn_close, f.conn_keep_alive};
  };
  EXPECT_EQ(conn("keep-alive"), std::pair(false, true));
  EXPECT_EQ(conn("Keep-Alive"), std::pair(false, true));
  EXPECT_EQ(conn("CLOSE"), std::pair(true, false));
  EXPECT_EQ(conn("close, keep-alive"), std::pair(true, true));
  EXPECT_EQ(conn("Upgrade, close"), std::pair(true, false));
  EXPECT_EQ(conn("keep-alive2"), std::pair(false, false));
  EXPECT_EQ(conn("closed"), std::pair(false, false));
  EXPECT_EQ(conn(""), std::pair(false, false));
  detail::Framing f;
  EXPECT_FALSE(f.field("Content-Type", "close"));
  EXPECT_FALSE(f.field("Connection-X", "close"));
  EXPECT_FALSE(f.conn_close);
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
