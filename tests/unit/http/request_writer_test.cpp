// Tests for write_request, header validation and method names.
#include "http/request_writer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace loadgen::http {
namespace {

TEST(Method, RoundTrip) {
  for (Method m : {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kDelete,
                   Method::kPatch, Method::kOptions}) {
    EXPECT_EQ(parse_method(to_string(m)), m);
  }
  EXPECT_EQ(to_string(Method::kDelete), "DELETE");
  EXPECT_EQ(parse_method("get"), Method::kGet);
  EXPECT_EQ(parse_method("oPtIoNs"), Method::kOptions);
  EXPECT_EQ(parse_method("GETT"), std::nullopt);
  EXPECT_EQ(parse_method(""), std::nullopt);
  EXPECT_EQ(parse_method("TRACE"), std::nullopt);
}

TEST(WriteRequest, GetWithHeaders) {
  std::string out = "prefix|";
  const std::array<Header, 2> headers = {Header{"Accept", "*/*"}, Header{"X-Id", "7"}};
  write_request(out, Method::kGet, "/a?b=1", "example.com:8080", headers, "");
  EXPECT_EQ(
      out,
      "prefix|GET /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nX-Id: 7\r\n\r\n");
}

TEST(WriteRequest, PostAddsContentLength) {
  std::string out;
  write_request(out, Method::kPost, "/cart", "h", {}, R"({"a":1})");
  EXPECT_EQ(out, "POST /cart HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(WriteRequest, EmptyBodyPutPatchPostSendZeroLength) {
  for (Method m : {Method::kPost, Method::kPut, Method::kPatch}) {
    std::string out;
    write_request(out, m, "/", "h", {}, "");
    EXPECT_NE(out.find("\r\nContent-Length: 0\r\n\r\n"), std::string::npos) << out;
  }
  std::string out;
  write_request(out, Method::kDelete, "/", "h", {}, "");
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  out.clear();
  write_request(out, Method::kDelete, "/", "h", {}, "xy");
  EXPECT_NE(out.find("Content-Length: 2\r\n"), std::string::npos);
}

TEST(WriteRequest, CallerHostOverrides) {
  std::string out;
  const std::array<Header, 1> headers = {Header{"host", "virtual"}};
  write_request(out, Method::kPut, "/", "ignored", headers, "abc");
  EXPECT_EQ(out, "PUT / HTTP/1.1\r\nhost: virtual\r\nContent-Length: 3\r\n\r\nabc");
}

TEST(WriteRequest, CallerFramingHeadersAreReplacedByTheBodysLength) {
  // A wrong Content-Length or a Transfer-Encoding beside the real body would let the server
  // read a different message (RFC 9112 §6.3); the writer frames the body itself.
  std::string out;
  const std::array<Header, 3> headers = {Header{"content-length", "99"}, Header{"X-A", "1"},
                                         Header{"Transfer-Encoding", "chunked"}};
  write_request(out, Method::kPost, "/", "h", headers, "abc");
  EXPECT_EQ(out, "POST / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nabc");
  out.clear();
  write_request(out, Method::kGet, "/", "h", headers, "");
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n");
}

TEST(WriteRequest, ReusesCapacity) {
  std::string out;
  write_request(out, Method::kGet, "/x", "h", {}, "");
  const std::string first = out;
  const auto cap = out.capacity();
  out.clear();
  write_request(out, Method::kGet, "/x", "h", {}, "");
  EXPECT_EQ(out, first);
  EXPECT_EQ(out.capacity(), cap);
}

TEST(HeaderValidation, Names) {
  EXPECT_TRUE(is_valid_header_name("Content-Type"));
  EXPECT_TRUE(is_valid_header_name("x!#$%&'*+-.^_`|~9"));
  EXPECT_FALSE(is_valid_header_name(""));
  EXPECT_FALSE(is_valid_header_name("Bad Name"));
  EXPECT_FALSE(is_valid_header_name("Colon:"));
  EXPECT_FALSE(is_valid_header_name("a\r\nb"));
  EXPECT_FALSE(is_valid_header_name("(x)"));
}

TEST(HeaderValidation, Values) {
  EXPECT_TRUE(is_valid_header_value(""));
  EXPECT_TRUE(is_valid_header_value("text/html; charset=utf-8\t x"));
  EXPECT_FALSE(is_valid_header_value("a\r\nInjected: 1"));
  EXPECT_FALSE(is_valid_header_value("a\nb"));
  EXPECT_FALSE(is_valid_header_value(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace loadgen::http
