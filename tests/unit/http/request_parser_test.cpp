// Tests for parse_request_head: request line forms, fields, Host rules, every body framing
// (RFC 9112 §3, §5, §6.3) and body decoding of requests with BodyDecoder.
#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::http {
namespace {

HeadResult parse(std::string_view s, RequestHead& h, std::size_t max_head = 64 * 1024) {
  return parse_request_head(s.data(), s.size(), h, max_head);
}

ParseError parse_error(std::string_view s) {
  RequestHead h;
  const HeadResult r = parse(s, h);
  EXPECT_EQ(r.kind, HeadResult::Kind::kError) << s;
  return r.error;
}

TEST(RequestHead, SimpleGet) {
  const std::string msg =
      "GET /api/products/0PUK6V6EV0?currencyCode=EUR HTTP/1.1\r\n"
      "Host: shop:8080\r\nAccept:  */* \r\n\r\nNEXT";
  RequestHead h;
  const HeadResult r = parse(msg, h);
  ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
  EXPECT_EQ(r.consumed, msg.find("NEXT"));
  EXPECT_EQ(h.method, "GET");
  ASSERT_TRUE(h.known_method.has_value());
  EXPECT_EQ(*h.known_method, Method::kGet);
  EXPECT_EQ(h.target, "/api/products/0PUK6V6EV0?currencyCode=EUR");
  EXPECT_EQ(h.version_minor, 1);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.find("accept"), "*/*");
  EXPECT_EQ(h.find("HOST"), "shop:8080");
  EXPECT_EQ(h.find("missing"), "");
  EXPECT_EQ(h.body_mode, BodyMode::kNone);
  EXPECT_TRUE(h.keep_alive);
}

TEST(RequestHead, NeedMoreUntilEmptyLine) {
  const std::string msg = "POST /api/cart HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n";
  for (std::size_t n = 0; n < msg.size(); ++n) {
    RequestHead h;
    EXPECT_EQ(parse(std::string_view(msg).substr(0, n), h).kind, HeadResult::Kind::kNeedMore) << n;
  }
  RequestHead h;
  const HeadResult r = parse(msg, h);
  ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kLength);
  EXPECT_EQ(h.content_length, 2u);
}

TEST(RequestHead, UnknownAndLowercaseMethodsAreTokens) {
  RequestHead h;
  ASSERT_EQ(parse("PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n", h).kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.method, "PROPFIND");
  EXPECT_FALSE(h.known_method.has_value());
  ASSERT_EQ(parse("get / HTTP/1.1\r\nHost: x\r\n\r\n", h).kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.method, "get");
  EXPECT_FALSE(h.known_method.has_value());  // RFC 9110 §9.1: case-sensitive
}

TEST(RequestHead, TargetForms) {
  RequestHead h;
  ASSERT_EQ(parse("GET http://shop:8080/api/cart HTTP/1.1\r\nHost: shop:8080\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.target, "http://shop:8080/api/cart");
  ASSERT_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", h).kind, HeadResult::Kind::kDone);
  EXPECT_EQ(h.target, "*");
  ASSERT_EQ(parse("CONNECT shop:443 HTTP/1.1\r\nHost: shop:443\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_EQ(parse_error("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("GET api HTTP/1.1\r\nHost: x\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), ParseError::kBadStatusLine);
}

TEST(RequestHead, MalformedRequestLines) {
  EXPECT_EQ(parse_error("GET  / HTTP/1.1\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("GET / HTTP/1.1 \r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("GET /a b HTTP/1.1\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("GET /\r\n\r\n"), ParseError::kBadStatusLine);  // HTTP/0.9
  EXPECT_EQ(parse_error("G(T / HTTP/1.1\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error(" GET / HTTP/1.1\r\n\r\n"), ParseError::kBadStatusLine);
  EXPECT_EQ(parse_error("\x16\x03\x01\x02"), ParseError::kBadStatusLine);  // TLS on plain port
  EXPECT_EQ(parse_error("GET / HTTP/2.0\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("GET / HTTP/1.10\r\n\r\n"), ParseError::kBadVersion);
}

TEST(RequestHead, LeadingEmptyLinesAreSkipped) {
  const std::string msg = "\r\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestHead h;
  const HeadResult r = parse(msg, h);
  ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
  EXPECT_EQ(r.consumed, msg.size());
  EXPECT_EQ(h.method, "GET");
  RequestHead h2;
  EXPECT_EQ(parse("\r\n", h2).kind, HeadResult::Kind::kNeedMore);
}

TEST(RequestHead, HostRules) {
  EXPECT_EQ(parse_error("GET / HTTP/1.1\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), ParseError::kBadHeader);
  RequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", h).kind, HeadResult::Kind::kDone);  // 1.0: optional
  EXPECT_EQ(h.version_minor, 0);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n", h).kind, HeadResult::Kind::kDone);
}

TEST(RequestHead, KeepAlive) {
  RequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_TRUE(h.keep_alive);
}

TEST(RequestHead, FieldErrors) {
  EXPECT_EQ(parse_error("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), ParseError::kBadHeader);
  static constexpr char kNul[] = "GET / HTTP/1.1\r\nHost: x\r\nA: b\0c\r\n\r\n";
  EXPECT_EQ(parse_error(std::string(kNul, sizeof kNul - 1)), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n"), ParseError::kBadHeader);
  EXPECT_EQ(parse_error("GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n"), ParseError::kBadHeader);
}

TEST(RequestHead, BareLfLineEnds) {
  RequestHead h;
  const std::string msg = "GET / HTTP/1.1\nHost: x\n\n";
  const HeadResult r = parse(msg, h);
  ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
  EXPECT_EQ(r.consumed, msg.size());
}

TEST(RequestHead, HeadTooLarge) {
  std::string msg = "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(200, 'a');
  RequestHead h;
  EXPECT_EQ(parse(msg, h, 128).error, ParseError::kHeadTooLarge);
  EXPECT_EQ(parse(msg, h, 1024).kind, HeadResult::Kind::kNeedMore);
}

TEST(RequestHead, Framing) {
  RequestHead h;
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kChunked);
  EXPECT_TRUE(h.keep_alive);
  // §6.1: TE and CL together → TE wins, close after.
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  h)
                .kind,
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.body_mode, BodyMode::kChunked);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7, 7\r\n\r\n", h).kind,
            HeadResult::Kind::kDone);
  EXPECT_EQ(h.content_length, 7u);
  EXPECT_EQ(parse_error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
            ParseError::kBadTransferEncoding);
  EXPECT_EQ(
      parse_error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
      ParseError::kBadTransferEncoding);
  EXPECT_EQ(parse_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(parse_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(
      parse_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"),
      ParseError::kBadContentLength);
}

TEST(RequestHead, ChunkedBodyWithBodyDecoder) {
  const std::string msg =
      "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\n{\"a\"\r\n2;ext=1\r\n:1\r\n1\r\n}\r\n0\r\nTrailer: t\r\n\r\nGET";
  RequestHead h;
  const HeadResult r = parse(msg, h);
  ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
  BodyDecoder d;
  d.start(h.body_mode, h.content_length);
  std::string body;
  const std::size_t n = d.feed(msg.data() + r.consumed, msg.size() - r.consumed, &body);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(body, "{\"a\":1}");
  EXPECT_EQ(msg.substr(r.consumed + n), "GET");
}

}  // namespace
}  // namespace loadgen::http
