// Tests for client/cookie_jar: RFC 6265 §5.2-§5.4 storage and retrieval rules.
#include "client/cookie_jar.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "http/url.hpp"

namespace loadgen::client {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;  // 2023-11-14

http::Url url(std::string_view text) {
  auto u = http::parse_url(text);
  EXPECT_TRUE(u.ok()) << text;
  return u.ok() ? *u : http::Url{};
}

// The Cookie header the jar sends to `to` (empty when none).
std::string sent(const CookieJar& jar, std::string_view to, std::int64_t now = kNow) {
  std::string out;
  const bool any = jar.header_for(url(to), now, out);
  EXPECT_EQ(any, !out.empty());
  return out;
}

TEST(CookieJar, HostOnlyCookieGoesToTheSameHostOnly) {
  CookieJar jar;
  jar.store("a=1", url("http://example.com/"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/"), "a=1");
  EXPECT_EQ(sent(jar, "http://EXAMPLE.com/x"), "a=1");  // hosts compare lower-cased
  EXPECT_EQ(sent(jar, "http://www.example.com/"), "");  // §5.3 step 6: host-only
  EXPECT_EQ(sent(jar, "http://other.com/"), "");
}

TEST(CookieJar, DomainAttributeCoversSubdomains) {
  CookieJar jar;
  jar.store("a=1; Domain=example.com", url("http://www.example.com/"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/"), "a=1");
  EXPECT_EQ(sent(jar, "http://www.example.com/"), "a=1");
  EXPECT_EQ(sent(jar, "http://x.y.example.com/"), "a=1");
  EXPECT_EQ(sent(jar, "http://badexample.com/"), "");  // §5.1.3: label boundary
}

TEST(CookieJar, DomainLeadingDotAndCaseAreIgnored) {
  CookieJar jar;
  jar.store("a=1; domain=.EXAMPLE.com", url("http://www.example.com/"), kNow);
  EXPECT_EQ(jar.size(), 1u);
  EXPECT_EQ(sent(jar, "http://example.com/"), "a=1");
}

TEST(CookieJar, ForeignDomainIsRejected) {
  CookieJar jar;
  jar.store("a=1; Domain=other.com", url("http://example.com/"), kNow);
  jar.store("b=1; Domain=sub.example.com", url("http://example.com/"), kNow);
  jar.store("c=1; Domain=ample.com", url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 0u);
}

TEST(CookieJar, PathAttributeMatching) {
  CookieJar jar;
  jar.store("a=1; Path=/docs", url("http://example.com/"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/docs"), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/docs/"), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/docs/web?x=1"), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/doc"), "");
  EXPECT_EQ(sent(jar, "http://example.com/docsx"), "");
  EXPECT_EQ(sent(jar, "http://example.com/"), "");
}

TEST(CookieJar, PathWithTrailingSlash) {
  CookieJar jar;
  jar.store("a=1; Path=/docs/", url("http://example.com/"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/docs/x"), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/docs"), "");
}

TEST(CookieJar, PathNotStartingWithSlashUsesDefaultPath) {
  CookieJar jar;  // §5.2.4: such a Path is ignored
  jar.store("a=1; Path=docs", url("http://example.com/shop/cart"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/shop/x"), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/other"), "");
}

TEST(CookieJar, DefaultPathIsTheDirectoryOfTheRequestPath) {
  CookieJar jar;  // §5.1.4
  jar.store("a=1", url("http://example.com/a/b/c"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/a/b"), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/a/b/zzz"), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/a"), "");
  EXPECT_EQ(sent(jar, "http://example.com/a/bc"), "");

  CookieJar top;
  top.store("t=1", url("http://example.com/login"), kNow);
  EXPECT_EQ(sent(top, "http://example.com/anything/else"), "t=1");

  CookieJar query;  // the query is not part of the path
  query.store("q=1", url("http://example.com/a/b?next=/x/y/z"), kNow);
  EXPECT_EQ(sent(query, "http://example.com/a/other"), "q=1");
  EXPECT_EQ(sent(query, "http://example.com/x/y/other"), "");
}

TEST(CookieJar, SecureCookiesGoOnlyOverHttps) {
  CookieJar jar;
  jar.store("s=1; Secure", url("https://example.com/"), kNow);
  jar.store("p=1", url("https://example.com/"), kNow);
  EXPECT_EQ(sent(jar, "https://example.com/"), "s=1; p=1");
  EXPECT_EQ(sent(jar, "http://example.com/"), "p=1");
}

TEST(CookieJar, MaxAgeZeroOrNegativeDeletes) {
  CookieJar jar;
  jar.store("a=1", url("http://example.com/"), kNow);
  jar.store("b=1", url("http://example.com/"), kNow);
  ASSERT_EQ(jar.size(), 2u);
  jar.store("a=gone; Max-Age=0", url("http://example.com/"), kNow);
  jar.store("b=gone; max-age=-1", url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 0u);
}

TEST(CookieJar, MaxAgeExpiresLater) {
  CookieJar jar;
  jar.store("a=1; Max-Age=10", url("http://example.com/"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/", kNow + 9), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/", kNow + 10), "");
}

TEST(CookieJar, ExpiresInThePastDeletes) {
  CookieJar jar;
  jar.store("a=1", url("http://example.com/"), kNow);
  jar.store("a=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 0u);
}

TEST(CookieJar, ExpiresInTheFutureKeepsUntilThen) {
  CookieJar jar;  // Wed, 01 Jan 2025 00:00:00 GMT = 1735689600
  jar.store("a=1; Expires=Wed, 01 Jan 2025 00:00:00 GMT", url("http://example.com/"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/", 1735689599), "a=1");
  EXPECT_EQ(sent(jar, "http://example.com/", 1735689600), "");
  CookieJar dashed;  // the Netscape form
  dashed.store("a=1; expires=Wed, 01-Jan-2025 00:00:00 GMT", url("http://example.com/"), kNow);
  EXPECT_EQ(sent(dashed, "http://example.com/", 1735689599), "a=1");
  EXPECT_EQ(sent(dashed, "http://example.com/", 1735689600), "");
}

TEST(CookieJar, MaxAgeTakesPrecedenceOverExpiresInEitherOrder) {
  // §5.3 step 3: with Max-Age present, Expires is ignored, whichever comes first.
  CookieJar jar;
  jar.store("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100", url("http://example.com/"),
            kNow);
  EXPECT_EQ(sent(jar, "http://example.com/"), "a=1");
  jar.store("b=1; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT", url("http://example.com/"),
            kNow);
  EXPECT_EQ(sent(jar, "http://example.com/"), "a=1; b=1");
  jar.store("c=1; Expires=Wed, 01 Jan 2025 00:00:00 GMT; Max-Age=0", url("http://example.com/"),
            kNow);
  EXPECT_EQ(jar.size(), 2u);
}

TEST(CookieJar, SameNameDomainPathReplaces) {
  CookieJar jar;
  jar.store("a=1", url("http://example.com/"), kNow);
  jar.store("a=2", url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 1u);
  EXPECT_EQ(jar.get("a"), "2");
  EXPECT_EQ(sent(jar, "http://example.com/"), "a=2");
  // Another path is another cookie.
  jar.store("a=3; Path=/x", url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 2u);
  // §5.3 step 11: the host-only flag is not part of the identity: this replaces a=2 and
  // makes it domain-wide.
  jar.store("a=4; Domain=example.com", url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 2u);
  EXPECT_EQ(sent(jar, "http://www.example.com/"), "a=4");
}

TEST(CookieJar, StoreAndHeaderForWithAnExplicitTarget) {
  // The HTTP client passes the base URL plus the request's own target.
  CookieJar jar;
  const http::Url base = url("http://example.com/");
  jar.store("d=1", base, "/shop/login?next=/", kNow);
  jar.store("p=1; Path=/account", base, "/account/login", kNow);
  std::string out;
  EXPECT_TRUE(jar.header_for(base, "/shop/cart", kNow, out));
  EXPECT_EQ(out, "d=1");
  out.clear();
  EXPECT_TRUE(jar.header_for(base, "/account/x", kNow, out));
  EXPECT_EQ(out, "p=1");
  out.clear();
  EXPECT_FALSE(jar.header_for(base, "/", kNow, out));
}

TEST(CookieJar, MalformedValuesAreIgnored) {
  CookieJar jar;
  jar.store("novalue", url("http://example.com/"), kNow);
  jar.store("=v", url("http://example.com/"), kNow);
  jar.store("", url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 0u);
  jar.store(" spaced = v ; Path=/", url("http://example.com/"), kNow);
  EXPECT_EQ(sent(jar, "http://example.com/"), "spaced=v");
}

TEST(CookieJar, SetAndGetAndClear) {
  CookieJar jar;
  jar.set("k", "v", "Example.com");
  EXPECT_EQ(jar.get("k"), "v");
  EXPECT_EQ(jar.get("missing"), "");
  EXPECT_EQ(sent(jar, "http://example.com/any"), "k=v");
  EXPECT_EQ(sent(jar, "http://www.example.com/any"), "");
  jar.clear();
  EXPECT_EQ(jar.size(), 0u);
}

// RFC 6265 §6.1 limits: a server that sets new cookies on every response cannot grow a
// user's request heads without bound.
TEST(CookieJar, CookieOverTheSizeLimitIsIgnored) {
  CookieJar jar;
  const std::string value(CookieJar::kMaxCookieBytes, 'v');
  jar.store("big=" + value, url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 0u);
  // Exactly the limit (name + '=' + value + attributes) is kept.
  const std::string attrs = "; Path=/";
  const std::string fits(CookieJar::kMaxCookieBytes - 4 - attrs.size(), 'v');
  jar.store("fit=" + fits + attrs, url("http://example.com/"), kNow);
  EXPECT_EQ(jar.size(), 1u);
}

TEST(CookieJar, PerDomainLimitEvictsTheOldest) {
  CookieJar jar;
  const http::Url u = url("http://example.com/");
  for (std::size_t i = 0; i < CookieJar::kMaxPerDomain + 10; ++i) {
    jar.store("c" + std::to_string(i) + "=v; Path=/", u, kNow);
  }
  EXPECT_EQ(jar.size(), CookieJar::kMaxPerDomain);
  const std::string header = sent(jar, "http://example.com/");
  EXPECT_EQ(header.find("c9="), std::string::npos);  // the 10 oldest went
  EXPECT_EQ(header.rfind("c10=v", 0), 0u) << header;
  EXPECT_NE(header.find("c59=v"), std::string::npos);
  // Another domain has its own 50.
  jar.store("other=1", url("http://example.org/"), kNow);
  EXPECT_EQ(jar.size(), CookieJar::kMaxPerDomain + 1);
  EXPECT_EQ(sent(jar, "http://example.org/"), "other=1");
}

TEST(CookieJar, ReplacingACookieKeepsItsAgeAndTheCount) {
  CookieJar jar;
  const http::Url u = url("http://example.com/");
  for (std::size_t i = 0; i < CookieJar::kMaxPerDomain; ++i) {
    jar.store("c" + std::to_string(i) + "=v; Path=/", u, kNow);
  }
  jar.store("c0=new; Path=/", u, kNow);  // replaced in place: nothing evicted
  EXPECT_EQ(jar.size(), CookieJar::kMaxPerDomain);
  EXPECT_EQ(jar.get("c0"), "new");
  jar.store("fresh=1; Path=/", u, kNow);  // c0 is still the oldest
  EXPECT_EQ(jar.get("c0"), "");
  EXPECT_EQ(jar.get("c1"), "v");
}

TEST(CookieJar, ExpiredCookiesAreEvictedBeforeLiveOnes) {
  CookieJar jar;
  const http::Url u = url("http://example.com/");
  jar.store("old=v; Path=/", u, kNow);
  jar.store("short=v; Max-Age=10; Path=/", u, kNow);
  for (std::size_t i = 2; i < CookieJar::kMaxPerDomain; ++i) {
    jar.store("c" + std::to_string(i) + "=v; Path=/", u, kNow);
  }
  jar.store("late=v; Path=/", u, kNow + 100);  // "short" has expired by now
  EXPECT_EQ(jar.get("old"), "v");
  EXPECT_EQ(jar.get("late"), "v");
  EXPECT_EQ(jar.size(), CookieJar::kMaxPerDomain);
}

TEST(CookieJar, TotalLimitEvictsTheOldestOfAnyDomain) {
  CookieJar jar;
  const std::size_t domains = CookieJar::kMaxCookies / CookieJar::kMaxPerDomain + 1;
  for (std::size_t d = 0; d < domains; ++d) {
    const http::Url u = url("http://h" + std::to_string(d) + ".example/");
    for (std::size_t i = 0; i < CookieJar::kMaxPerDomain; ++i) {
      jar.store("c" + std::to_string(i) + "=v", u, kNow);
    }
  }
  EXPECT_EQ(jar.size(), CookieJar::kMaxCookies);
  EXPECT_EQ(sent(jar, "http://h0.example/"), "");  // the first domain's were the oldest
  EXPECT_NE(sent(jar, "http://h60.example/"), "");
}

TEST(CookieJar, FloodOfNewCookiesKeepsTheCookieHeaderBounded) {
  // The fault server's /cookie-flood: 40 new ~1 KB cookies per response.
  CookieJar jar;
  const http::Url u = url("http://example.com/");
  const std::string value(1000, 'v');
  std::size_t largest = 0;
  for (int response = 0; response < 100; ++response) {
    for (int i = 0; i < 40; ++i) {
      jar.store("f" + std::to_string(response * 40 + i) + "=" + value + "; Path=/", u, kNow);
    }
    largest = std::max(largest, sent(jar, "http://example.com/").size());
  }
  EXPECT_LE(largest, CookieJar::kMaxPerDomain * (value.size() + 8));
  EXPECT_EQ(jar.size(), CookieJar::kMaxPerDomain);
}

}  // namespace
}  // namespace loadgen::client
