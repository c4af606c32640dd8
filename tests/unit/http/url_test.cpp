// Tests for parse_url and resolve_reference (RFC 3986 §5.4 examples).
#include "http/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::http {
namespace {

Url must_parse(std::string_view text) {
  auto r = parse_url(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Url{};
}

TEST(ParseUrl, Basic) {
  Url u = must_parse("http://example.com/a/b?x=1#frag");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/a/b?x=1");
  EXPECT_EQ(u.userinfo, "");
  EXPECT_FALSE(u.tls());
  EXPECT_EQ(u.host_header(), "example.com");
  EXPECT_EQ(u.origin(), "http://example.com");
}

TEST(ParseUrl, HttpsDefaultsAndCase) {
  Url u = must_parse("HTTPS://WWW.Example.COM");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "www.example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/");
  EXPECT_TRUE(u.tls());
  EXPECT_EQ(u.origin(), "https://www.example.com");
}

TEST(ParseUrl, ExplicitPortAndQueryWithoutPath) {
  Url u = must_parse("http://localhost:8080?q=1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/?q=1");
  EXPECT_EQ(u.host_header(), "localhost:8080");
  Url d = must_parse("https://h:443/x");
  EXPECT_EQ(d.host_header(), "h");
  Url e = must_parse("http://h:/x");  // empty port = default (RFC 3986 §3.2.3)
  EXPECT_EQ(e.port, 80);
}

TEST(ParseUrl, Ipv6AndUserinfo) {
  Url u = must_parse("http://user:p%40ss@[::1]:9000/p");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.userinfo, "user:p%40ss");
  EXPECT_EQ(u.host_header(), "[::1]:9000");
  EXPECT_EQ(u.origin(), "http://[::1]:9000");
  Url v = must_parse("https://[2001:DB8::1]/");
  EXPECT_EQ(v.host, "2001:db8::1");
  EXPECT_EQ(v.host_header(), "[2001:db8::1]");
}

TEST(ParseUrl, NonAsciiIsPercentEncoded) {
  Url u = must_parse("http://h/caf\xc3\xa9?q=\xc3\xa9");
  EXPECT_EQ(u.target, "/caf%C3%A9?q=%C3%A9");
}

void expect_error(std::string_view text, std::string_view what) {
  auto r = parse_url(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().code, "bad_url");
  EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  EXPECT_FALSE(r.error().hint.empty());
}

TEST(ParseUrl, Errors) {
  expect_error("", "empty");
  expect_error("ftp://h/", "unsupported scheme 'ftp'");
  expect_error("example.com/path", "missing scheme");
  expect_error("http:/h", "'//'");
  expect_error("http:///path", "empty host");
  expect_error("http://:80/", "empty host");
  expect_error("http://h:99999/", "bad port");
  expect_error("http://h:0/", "bad port");
  expect_error("http://h:8x/", "bad port");
  expect_error("http://h/a b", "spaces or control");
  expect_error("http://h/a\tb", "spaces or control");
  expect_error(" http://h/", "spaces or control");
  expect_error("http://h/\x01", "\\x01");
  expect_error("http://[::1/", "IPv6");
  expect_error("http://[zz]/", "IPv6");
  expect_error("http://h<x>/", "bad character in host");
}

TEST(ParseUrl, ErrorNamesText) {
  auto r = parse_url("gopher://x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("gopher://x"), std::string::npos);
}

// RFC 3986 §5.4.1 and §5.4.2 with base "http://a/b/c/d;p?q".
struct RefCase {
  const char* ref;
  const char* expected;  // nullptr: error expected
};

class ResolveRfc3986 : public ::testing::TestWithParam<RefCase> {};

TEST_P(ResolveRfc3986, Example) {
  const Url base = must_parse("http://a/b/c/d;p?q");
  const RefCase& c = GetParam();
  auto r = resolve_reference(base, c.ref);
  if (c.expected == nullptr) {
    EXPECT_FALSE(r.ok()) << c.ref;
    return;
  }
  ASSERT_TRUE(r.ok()) << c.ref << ": " << r.error().message;
  EXPECT_EQ(r->origin() + r->target, c.expected) << "ref: " << c.ref;
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ResolveRfc3986,
    ::testing::Values(
        // §5.4.1 normal examples ("g:h" has a scheme we do not support).
        RefCase{"g:h", nullptr}, RefCase{"g", "http://a/b/c/g"}, RefCase{"./g", "http://a/b/c/g"},
        RefCase{"g/", "http://a/b/c/g/"}, RefCase{"/g", "http://a/g"}, RefCase{"//g", "http://g/"},
        RefCase{"?y", "http://a/b/c/d;p?y"}, RefCase{"g?y", "http://a/b/c/g?y"},
        RefCase{"#s", "http://a/b/c/d;p?q"}, RefCase{"g#s", "http://a/b/c/g"},
        RefCase{"g?y#s", "http://a/b/c/g?y"}, RefCase{";x", "http://a/b/c/;x"},
        RefCase{"g;x", "http://a/b/c/g;x"}, RefCase{"g;x?y#s", "http://a/b/c/g;x?y"},
        RefCase{"", "http://a/b/c/d;p?q"}, RefCase{".", "http://a/b/c/"},
        RefCase{"./", "http://a/b/c/"}, RefCase{"..", "http://a/b/"}, RefCase{"../", "http://a/b/"},
        RefCase{"../g", "http://a/b/g"}, RefCase{"../..", "http://a/"},
        RefCase{"../../", "http://a/"}, RefCase{"../../g", "http://a/g"},
        // §5.4.2 abnormal examples.
        RefCase{"../../../g", "http://a/g"}, RefCase{"../../../../g", "http://a/g"},
        RefCase{"/./g", "http://a/g"}, RefCase{"/../g", "http://a/g"},
        RefCase{"g.", "http://a/b/c/g."}, RefCase{".g", "http://a/b/c/.g"},
        RefCase{"g..", "http://a/b/c/g.."}, RefCase{"..g", "http://a/b/c/..g"},
        RefCase{"./../g", "http://a/b/g"}, RefCase{"./g/.", "http://a/b/c/g/"},
        RefCase{"g/./h", "http://a/b/c/g/h"}, RefCase{"g/../h", "http://a/b/c/h"},
        RefCase{"g;x=1/./y", "http://a/b/c/g;x=1/y"}, RefCase{"g;x=1/../y", "http://a/b/c/y"},
        RefCase{"g?y/./x", "http://a/b/c/g?y/./x"}, RefCase{"g?y/../x", "http://a/b/c/g?y/../x"},
        RefCase{"g#s/./x", "http://a/b/c/g"}, RefCase{"g#s/../x", "http://a/b/c/g"},
        RefCase{"http:g", "http://a/b/c/g"},  // §5.2.2 non-strict reading
        // Absolute references, as in Location headers.
        RefCase{"https://other:8443/x/../y?z", "https://other:8443/y?z"},
        RefCase{"HTTP://A/b", "http://a/b"}, RefCase{"//h:81", "http://h:81/"},
        RefCase{"a b", nullptr}));

TEST(Resolve, KeepsBaseAuthorityAndUserinfo) {
  const Url base = must_parse("https://u:p@host:8443/dir/page?x");
  auto r = resolve_reference(base, "next?y=1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->scheme, "https");
  EXPECT_EQ(r->host, "host");
  EXPECT_EQ(r->port, 8443);
  EXPECT_EQ(r->userinfo, "u:p");
  EXPECT_EQ(r->target, "/dir/next?y=1");
}

}  // namespace
}  // namespace loadgen::http
