// W3C Baggage: encoding, decoding, round trips, limits, percent-encoding and UTF-8 edge cases.
#include "otel/baggage.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::otel {
namespace {

TEST(Baggage, SyntheticHeader) {
  Baggage b;
  EXPECT_TRUE(b.set("synthetic_request", "true"));
  EXPECT_TRUE(b.set("session.id", "3f1c2a9e-0b7d-4c55-9a61-2f8e5d4c3b2a"));
  EXPECT_EQ(b.header(), "synthetic_request=true,session.id=3f1c2a9e-0b7d-4c55-9a61-2f8e5d4c3b2a");
}

TEST(Baggage, SetReplacesKeepingPosition) {
  Baggage b;
  b.set("a", "1");
  b.set("b", "2");
  b.set("a", "3");
  EXPECT_EQ(b.header(), "a=3,b=2");
  EXPECT_EQ(b.get("a"), "3");
  EXPECT_FALSE(b.get("c"));
  EXPECT_TRUE(b.erase("a"));
  EXPECT_FALSE(b.erase("a"));
  EXPECT_EQ(b.header(), "b=2");
}

TEST(Baggage, RejectsBadNamesAndProperties) {
  Baggage b;
  EXPECT_FALSE(b.set("", "x"));
  EXPECT_FALSE(b.set("a b", "x"));
  EXPECT_FALSE(b.set("a=b", "x"));
  EXPECT_FALSE(b.set("a,b", "x"));
  EXPECT_FALSE(b.set("k", "v", "p=1,q"));
  EXPECT_FALSE(b.set("k", "v", "p\r\n"));
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.set("k", "v", " p=1;q "));
  EXPECT_EQ(b.header(), "k=v;p=1;q");
}

TEST(Baggage, PercentEncodesOutsideBaggageOctet) {
  Baggage b;
  b.set("k", std::string("a b,c;d\\e\"f%g=h\x01\x7f", 17));
  // '=' is a baggage-octet and stays; space , ; \ " % and controls are encoded.
  EXPECT_EQ(b.header(), "k=a%20b%2Cc%3Bd%5Ce%22f%25g=h%01%7F");
  Baggage utf;
  utf.set("city", "Zürich ☃");
  EXPECT_EQ(utf.header(), "city=Z%C3%BCrich%20%E2%98%83");
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  Baggage raw;
  raw.set("bytes", all);
  const std::string h = raw.header();
  for (char c : h) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(is_baggage_octet(u) || c == '%' || c == ',' || c == '=' || c == ';') << int(u);
  }
}

TEST(Baggage, ParseDecodesAndTrims) {
  const Baggage b = Baggage::parse(
      " key1 = value1 ;prop1;prop2=x , key2=a%20b%2Cc ,key3=Z%C3%BCrich,key4=, key5 =v=w");
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b.get("key1"), "value1");
  EXPECT_EQ(b.entries()[0].properties, "prop1;prop2=x");
  EXPECT_EQ(b.get("key2"), "a b,c");
  EXPECT_EQ(b.get("key3"), "Zürich");
  EXPECT_EQ(b.get("key4"), "");
  EXPECT_EQ(b.get("key5"), "v=w");
}

TEST(Baggage, ParseSkipsMalformedMembers) {
  const Baggage b = Baggage::parse(
      "good=1,noequals,=novalue,bad key=2,k3=a b,k4=bad%zz,k5=bad%2,k6=\"q\",k7=a\\b,,ok=2");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("good"), "1");
  EXPECT_EQ(b.get("ok"), "2");
}

TEST(Baggage, ParseLaterDuplicateWins) {
  const Baggage b = Baggage::parse("a=1,b=2,a=3");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("a"), "3");
}

TEST(Baggage, ParseReplacesInvalidUtf8) {
  const Baggage b = Baggage::parse("a=%FF,b=x%C3,c=%E2%82,d=%ED%A0%80,e=%F0%9F%98%80");
  EXPECT_EQ(b.get("a"), "\xEF\xBF\xBD");
  EXPECT_EQ(b.get("b"), "x\xEF\xBF\xBD");
  EXPECT_EQ(b.get("c"), "\xEF\xBF\xBD");  // one maximal subpart → one U+FFFD
  EXPECT_EQ(b.get("d"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate: 3 bytes, 3 U+FFFD
  EXPECT_EQ(b.get("e"), "\xF0\x9F\x98\x80");
}

TEST(Baggage, RoundTrip) {
  Baggage b;
  b.set("synthetic_request", "true");
  b.set("user", "Zoë O'Brien, 42%; a=b");
  b.set("empty", "");
  b.set("props", "v", "ttl=30;secret");
  const Baggage back = Baggage::parse(b.header());
  ASSERT_EQ(back.size(), b.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(back.entries()[i].name, b.entries()[i].name);
    EXPECT_EQ(back.entries()[i].value, b.entries()[i].value);
    EXPECT_EQ(back.entries()[i].properties, b.entries()[i].properties);
  }
  EXPECT_EQ(back.header(), b.header());
}

TEST(Baggage, MemberLimit) {
  Baggage b;
  for (int i = 0; i < 70; ++i) b.set("k" + std::to_string(i), "v");
  const Baggage back = Baggage::parse(b.header());
  EXPECT_EQ(back.size(), kBaggageMaxMembers);
  EXPECT_TRUE(back.get("k63"));
  EXPECT_FALSE(back.get("k64"));
}

TEST(Baggage, ByteLimitDropsWholeMembers) {
  Baggage b;
  b.set("a", std::string(4000, 'x'));
  b.set("b", std::string(4000, 'y'));
  b.set("c", std::string(1000, 'z'));  // would exceed 8192: dropped whole
  b.set("d", "small");                 // still fits
  const std::string h = b.header();
  EXPECT_LE(h.size(), kBaggageMaxBytes);
  const Baggage back = Baggage::parse(h);
  EXPECT_TRUE(back.get("a"));
  EXPECT_TRUE(back.get("b"));
  EXPECT_FALSE(back.get("c"));
  EXPECT_EQ(back.get("d"), "small");
  // Exactly 8192 bytes is kept.
  Baggage exact;
  exact.set("k", std::string(kBaggageMaxBytes - 2, 'v'));
  EXPECT_EQ(exact.header().size(), kBaggageMaxBytes);
  Baggage over;
  over.set("k", std::string(kBaggageMaxBytes - 1, 'v'));
  EXPECT_EQ(over.header(), "");
  // Encoding counts: 3000 spaces become 9000 bytes.
  Baggage encoded;
  encoded.set("k", std::string(3000, ' '));
  EXPECT_EQ(encoded.header(), "");
}

TEST(Baggage, AppendHeaderReusesBuffer) {
  Baggage b;
  b.set("synthetic_request", "true");
  b.set("session.id", "abc");
  std::string buf;
  buf.reserve(256);
  const char* data = buf.data();
  for (int i = 0; i < 3; ++i) {
    buf.clear();
    b.append_header(buf);
    EXPECT_EQ(buf, "synthetic_request=true,session.id=abc");
    EXPECT_EQ(buf.data(), data);  // no reallocation
  }
}

TEST(PercentCoding, DecodeEdgeCases) {
  std::string out;
  EXPECT_TRUE(percent_decode("a%2cb%2C%25", out));
  EXPECT_EQ(out, "a,b,%");
  for (const char* bad : {"%", "%2", "%g0", "%0g", "a%"}) {
    out.clear();
    EXPECT_FALSE(percent_decode(bad, out)) << bad;
  }
}

}  // namespace
}  // namespace loadgen::otel
