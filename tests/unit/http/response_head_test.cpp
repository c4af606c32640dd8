// Tests for parse_response_head: status line, fields, every ParseError and every BodyMode.
#include <gtest/gtest.h>

#include <string>

#include "http/response_parser.hpp"

namespace loadgen::http {
namespace {

HeadResult parse(std::string_view s, ResponseHead& h, bool head_request = false,
                 std::size_t max_head = 64 * 1024) {
  return parse_response_head(s.data(), s.size(), head_request, h, max_head);
}

ParseError parse_error(std::string_view s, bool head_request = false) {
  ResponseHead h;
  const HeadResult r = parse(s, h, head_request);
  EXPECT_EQ(r.kind, HeadResult::Kind::kError) << s;
  return r.error;
}

TEST(ResponseHead, ContentLengthResponse) {
  const std::string msg =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length:  5 \r\n\r\nhelloNEXT";
  ResponseHead h;
  const HeadResult r = parse(msg, h);
  ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
  EXPECT_EQ(r.consumed, msg.find("hello"));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.reason, "OK");
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.fields[1].name, "Content-Length");
  EXPECT_EQ(h.fields[1].value, "5");
  EXPECT_EQ(h.body_mode, BodyMode::kLength);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_TRUE(h.keep_alive);
}

TEST(ResponseHead, FindIsCaseInsensitiveAndFirst) {
  ResponseHead h;
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nX-A: 1\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\n"
                  "Content-Length: 0\r\n\r\n",
                  h)
                .kind,
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.find("SET-COOKIE"), "a=1");
  EXPECT_EQ(h.find("x-a"), "1");
  EXPECT_EQ(h.find("missing"), "");
  EXPECT_EQ(h.body_mode, BodyMode::kLength);
  EXPECT_EQ(h.content_length, 0u);
}

TEST(ResponseHead, BareLfLineEnds) {
  const std::string msg = "HTTP/1.1 404 Not Found\nContent-Length: 3\n\nabc";
  ResponseHead h;
  const HeadResult r = parse(msg, h);
  ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
  EXPECT_EQ(r.consumed, msg.size() - 3);
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.reason, "Not Found");
  EXPECT_EQ(h.content_length, 3u);
}

TEST(ResponseHead, EmptyReasonAndMissingSpace) {
  ResponseHead h;
  ASSERT_EQ(parse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", h).kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.reason, "");
  ASSERT_EQ(parse("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n", h).kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.status, 503);
}

TEST(ResponseHead, NeedMoreAtEveryPrefix) {
  const std::string msg = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 2\r\n\r\n";
  ResponseHead h;
  for (std::size_t n = 0; n < msg.size(); ++n) {
    EXPECT_EQ(parse(std::string_view(msg).substr(0, n), h).kind, HeadResult::Kind::kNeedMore) << n;
  }
  EXPECT_EQ(parse(msg, h).kind, HeadResult::Kind::kDone);
}

TEST(ResponseHead, ReusesFieldStorage) {
  ResponseHead h;
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  const auto cap = h.fields.capacity();
  const auto* ptr = h.fields.data();
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.fields.capacity(), cap);
  EXPECT_EQ(h.fields.data(), ptr);
}

// ---- body modes (RFC 9112 §6.3) ----

BodyMode mode_of(std::string_view msg, bool head_request = false) {
  ResponseHead h;
  const HeadResult r = parse(msg, h, head_request);
  EXPECT_EQ(r.kind, HeadResult::Kind::kDone) << msg;
  return h.body_mode;
}

TEST(ResponseHead, BodyModes) {
  EXPECT_EQ(mode_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), BodyMode::kChunked);
  EXPECT_EQ(mode_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n"),
            BodyMode::kChunked);
  EXPECT_EQ(
      mode_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
      BodyMode::kChunked);
  EXPECT_EQ(mode_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            BodyMode::kUntilClose);
  EXPECT_EQ(mode_of("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), BodyMode::kUntilClose);
  EXPECT_EQ(mode_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true), BodyMode::kNone);
  EXPECT_EQ(mode_of("HTTP/1.1 204 No Content\r\n\r\n"), BodyMode::kNone);
  EXPECT_EQ(mode_of("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"), BodyMode::kNone);
  EXPECT_EQ(mode_of("HTTP/1.1 100 Continue\r\n\r\n"), BodyMode::kNone);
  EXPECT_EQ(mode_of("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n"),
            BodyMode::kLength);
}

TEST(ResponseHead, TransferEncodingOverridesContentLength) {
  ResponseHead h;
  ASSERT_EQ(
      parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", h).kind,
      HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kChunked);
  EXPECT_FALSE(h.keep_alive);  // RFC 9112 §6.3 rule 3: close after this response
}

TEST(ResponseHead, KeepAlive) {
  ResponseHead h;
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(
      parse("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n", h).kind,
      HeadResult::Kind::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", h).kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.version_minor, 0);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n", h).kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kUntilClose);
  EXPECT_FALSE(h.keep_alive);
}

// ---- every ParseError ----

TEST(ResponseHead, BadStatusLine) {
  EXPECT_EQ(parse_error("HTTX/1.1 200 OK\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("<html>"), ParseError::kBadStatusLine);  // early, without a line end
  EXPECT_EQ(parse_error("HTTP/1.1 20 OK\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("HTTP/1.1 099 OK\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("HTTP/1.1  200 OK\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("HTTP/1.1 2000 OK\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error(std::string_view("HTTP/1.1 200 O\0K\r\n\r\n", 19)),
            ParseError::kBadStatusLine);
}

TEST(ResponseHead, BadVersion) {
  EXPECT_EQ(parse_error("HTTP/2.0 200 OK\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("HTTP/1 200 OK\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("HTTP/x.1 200 OK\r\n\r\n"), ParseError::kBadVersion);
}

TEST(ResponseHead, BadHeader) {
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nName : v\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nA: 1\r\n  folded\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nA: 1\r\n\tfolded\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error(std::string_view("HTTP/1.1 200 OK\r\nA: x\0y\r\n\r\n", 28)),
            ParseError::kBadHeader);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\n: empty-name\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nA: x\ry\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\n\rX"), ParseError::kBadHeader);
}

TEST(ResponseHead, HeadTooLarge) {
  std::string msg = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(200, 'a');
  ResponseHead h;
  EXPECT_EQ(parse(msg, h, false, 1000).kind, HeadResult::Kind::kNeedMore);
  HeadResult r = parse(msg, h, false, 100);
  EXPECT_EQ(r.kind, HeadResult::Kind::kError);
  EXPECT_EQ(r.error, ParseError::kHeadTooLarge);
  // A complete head beyond max_head is still too large even though its end has arrived.
  msg += "\r\n\r\n";
  r = parse(msg, h, false, 100);
  EXPECT_EQ(r.error, ParseError::kHeadTooLarge);
  // Exactly max_head bytes is fine.
  r = parse(msg, h, false, msg.size());
  EXPECT_EQ(r.kind, HeadResult::Kind::kDone);
}

TEST(ResponseHead, BadContentLength) {
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            ParseError::kBadContentLength);
}

TEST(ResponseHead, BadTransferEncoding) {
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
            ParseError::kBadTransferEncoding);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n"),
            ParseError::kBadTransferEncoding);
  EXPECT_EQ(parse_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: \"chunked\"\r\n\r\n"),
            ParseError::kBadTransferEncoding);
}

TEST(ResponseHead, ErrorText) {
  EXPECT_EQ(to_string(ParseError::kBadStatusLine), "malformed status line");
  for (int e = 0; e <= static_cast<int>(ParseError::kIncomplete); ++e) {
    EXPECT_FALSE(to_string(static_cast<ParseError>(e)).empty());
  }
}

TEST(ResponseHead, ClientFieldsArePickedOutInAnyCase) {
  const std::string msg =
      "HTTP/1.1 302 Found\r\nSET-COOKIE: a=1\r\nlocation: /first\r\nContent-Encoding:  gzip \r\n"
      "X-Location: /no\r\nSet-Cookie2: x\r\nLocation: /second\r\nset-cookie: b=2\r\n"
      "Content-Length: 0\r\n\r\n";
  ResponseHead h;
  ASSERT_EQ(parse(msg, h).kind, HeadResult::Kind::kDone);
  EXPECT_TRUE(h.has_content_encoding);
  EXPECT_EQ(h.content_encoding, "gzip");
  EXPECT_EQ(h.location, "/second");  // the last one
  EXPECT_EQ(h.set_cookie_count, 2u);
  EXPECT_EQ(h.body_mode, BodyMode::kLength);

  // Parsed again into the same head: nothing is left over from the first response.
  const std::string plain = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parse(plain, h).kind, HeadResult::Kind::kDone);
  EXPECT_FALSE(h.has_content_encoding);
  EXPECT_EQ(h.content_encoding, "");
  EXPECT_EQ(h.location, "");
  EXPECT_EQ(h.set_cookie_count, 0u);

  // An empty Content-Encoding is still one (the client decides what it means).
  const std::string empty = "HTTP/1.1 200 OK\r\nContent-Encoding:\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parse(empty, h).kind, HeadResult::Kind::kDone);
  EXPECT_TRUE(h.has_content_encoding);
  EXPECT_EQ(h.content_encoding, "");
}

}  // namespace
}  // namespace loadgen::http
