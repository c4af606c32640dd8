// W3C Trace Context: traceparent cases from the W3C test suite (test/test.py), tracestate
// grammar, limits and truncation, B3 formatting.
#include "otel/trace_context.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::otel {
namespace {

constexpr std::string_view kValid = "00-12345678901234567890123456789012-1234567890123456-01";

TEST(Traceparent, ParsesValid) {
  auto ctx = parse_traceparent(kValid);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(to_hex(ctx->trace_id), "12345678901234567890123456789012");
  EXPECT_EQ(to_hex(ctx->span_id), "1234567890123456");
  EXPECT_EQ(ctx->flags, 1);
  EXPECT_TRUE(ctx->sampled());
  EXPECT_TRUE(ctx->remote);
  EXPECT_TRUE(ctx->trace_state.empty());
  EXPECT_EQ(traceparent(*ctx), kValid);
}

TEST(Traceparent, ExampleFromSpec) {
  auto ctx = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(ctx);
  EXPECT_FALSE(ctx->sampled());
}

TEST(Traceparent, RejectsInvalidForms) {
  const char* bad[] = {
      "",
      "00-12345678901234567890123456789012-1234567890123456-01.",  // v00 trailing data
      "00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
      "cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like",
      "ff-12345678901234567890123456789012-1234567890123456-01",  // version ff
      ".0-12345678901234567890123456789012-1234567890123456-01",
      "0.-12345678901234567890123456789012-1234567890123456-01",
      "000-12345678901234567890123456789012-1234567890123456-01",
      "0000-12345678901234567890123456789012-1234567890123456-01",
      "0-12345678901234567890123456789012-1234567890123456-01",
      "00-00000000000000000000000000000000-1234567890123456-01",  // zero trace id
      "00-.2345678901234567890123456789012-1234567890123456-01",
      "00-1234567890123456789012345678901.-1234567890123456-01",
      "00-123456789012345678901234567890123-1234567890123456-01",
      "00-1234567890123456789012345678901-1234567890123456-01",
      "00-12345678901234567890123456789012-0000000000000000-01",  // zero parent id
      "00-12345678901234567890123456789012-.234567890123456-01",
      "00-12345678901234567890123456789012-123456789012345.-01",
      "00-12345678901234567890123456789012-12345678901234567-01",
      "00-12345678901234567890123456789012-123456789012345-01",
      "00-12345678901234567890123456789012-1234567890123456-.0",
      "00-12345678901234567890123456789012-1234567890123456-0.",
      "00-12345678901234567890123456789012-1234567890123456-001",
      "00-12345678901234567890123456789012-1234567890123456-1",
      "00-ABCDEF78901234567890123456789012-1234567890123456-01",  // upper-case hex
      "00-12345678901234567890123456789012-ABCDEF7890123456-01",
      "00-12345678901234567890123456789012-1234567890123456-0A",
      "0A-12345678901234567890123456789012-1234567890123456-01",
      "00_12345678901234567890123456789012-1234567890123456-01",
      "00-12345678901234567890123456789012_1234567890123456-01",
      "00-12345678901234567890123456789012-1234567890123456_01",
      "00-12345678901234567890123456789012-1234567890123456-01 x",
  };
  for (const char* h : bad) EXPECT_FALSE(parse_traceparent(h)) << h;
}

TEST(Traceparent, HigherVersionIsForwardCompatible) {
  for (const char* h : {"cc-12345678901234567890123456789012-1234567890123456-01",
                        "cc-12345678901234567890123456789012-1234567890123456-01-what-the-future",
                        "01-12345678901234567890123456789012-1234567890123456-01-",
                        "fe-12345678901234567890123456789012-1234567890123456-03"}) {
    auto ctx = parse_traceparent(h);
    ASSERT_TRUE(ctx) << h;
    EXPECT_EQ(to_hex(ctx->trace_id), "12345678901234567890123456789012");
    // Re-emitted as version 00.
    EXPECT_EQ(traceparent(*ctx).substr(0, 3), "00-");
  }
}

TEST(Traceparent, ToleratesOws) {
  for (std::string h : {" ", "\t", "\t "}) {
    EXPECT_TRUE(parse_traceparent(h + std::string(kValid))) << "leading";
    EXPECT_TRUE(parse_traceparent(std::string(kValid) + h)) << "trailing";
    EXPECT_TRUE(parse_traceparent(h + std::string(kValid) + " \t")) << "both";
  }
}

TEST(Traceparent, FormatsOnlyKnownFlags) {
  auto ctx = parse_traceparent("00-12345678901234567890123456789012-1234567890123456-ff");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->flags, 0xff);                    // kept as received...
  EXPECT_EQ(traceparent(*ctx).substr(53), "03");  // ...but only sampled|random are sent
  SpanContext unsampled = *ctx;
  unsampled.flags = 0;
  EXPECT_EQ(traceparent(unsampled).substr(53), "00");
}

TEST(Traceparent, FormatIntoFixedBuffer) {
  SpanContext ctx;
  for (std::size_t i = 0; i < 16; ++i) ctx.trace_id[i] = static_cast<std::uint8_t>(0xa0 + i);
  for (std::size_t i = 0; i < 8; ++i) ctx.span_id[i] = static_cast<std::uint8_t>(i + 1);
  ctx.flags = kTraceFlagSampled | kTraceFlagRandom;
  char buf[kTraceparentLen + 1];
  buf[kTraceparentLen] = '#';
  format_traceparent(ctx, buf);
  EXPECT_EQ(std::string(buf, kTraceparentLen),
            "00-a0a1a2a3a4a5a6a7a8a9aaabacadaeaf-0102030405060708-03");
  EXPECT_EQ(buf[kTraceparentLen], '#');  // nothing written past 55 chars
}

TEST(Extract, TracestateOnlyWithValidTraceparent) {
  auto ctx = extract_trace_context(kValid, "foo=1 \t , \t bar=2, \t baz=3");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->trace_state, "foo=1,bar=2,baz=3");
  EXPECT_FALSE(
      extract_trace_context("00-00000000000000000000000000000000-1234567890123456-01", "foo=1"));
  auto dropped = extract_trace_context(kValid, "foo=1,foo=2");
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->trace_state, "");
}

TEST(Tracestate, EmptyAndOws) {
  auto empty = TraceState::parse("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  for (const char* h :
       {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t", ",foo=1,,", "foo=1, ,"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << h;
    ASSERT_EQ(ts->size(), 1u) << h;
    EXPECT_EQ(ts->get("foo"), "1");
  }
  // Several headers joined with ',' keep their order.
  auto joined = TraceState::parse("foo=1,bar=2,rojo=1,congo=2,baz=3");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->header(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(Tracestate, AllAllowedCharacters) {
  std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
  std::string value;
  for (int c = 0x20; c <= 0x7e; ++c) {
    if (c != ',' && c != '=') value += static_cast<char>(c);
  }
  auto ts = TraceState::parse(key + "=" + value);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->get(key), value);
  auto vendor = TraceState::parse(key + "@a-z0-9_-*/=" + value);
  ASSERT_TRUE(vendor);
  EXPECT_EQ(vendor->get(key + "@a-z0-9_-*/"), value);
}

TEST(Tracestate, InvalidHeadersAreDiscarded) {
  const std::string z256(256, 'z');
  const char* bad[] = {"foo=1,foo=1",  "foo=1,foo=2",      "foo =1",
                       "FOO=1",        "foo.bar=1",        "foo@=1,bar=2",
                       "@foo=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2",
                       "foo=bar=baz",  "foo=,bar=3",       "foo",
                       "=1",           "1foo=1",           "foo=a\x7f",
                       "foo=\x01"};
  for (const char* h : bad) EXPECT_FALSE(TraceState::parse(h)) << h;
  EXPECT_TRUE(TraceState::parse("foo=1," + z256 + "=1"));
  EXPECT_FALSE(TraceState::parse("foo=1," + z256 + "z=1"));
  EXPECT_TRUE(
      TraceState::parse("foo=1," + std::string(241, 't') + "@" + std::string(14, 'v') + "=1"));
  EXPECT_FALSE(TraceState::parse("foo=1," + std::string(242, 't') + "@v=1"));
  EXPECT_FALSE(TraceState::parse("foo=1,t@" + std::string(15, 'v') + "=1"));
  EXPECT_TRUE(TraceState::parse("1tenant@vendor=1"));  // a tenant may start with a digit
  EXPECT_TRUE(TraceState::parse("foo=" + std::string(256, 'v')));
  EXPECT_FALSE(TraceState::parse("foo=" + std::string(257, 'v')));
  EXPECT_FALSE(is_valid_tracestate_value("a "));  // must not end with a space
  EXPECT_TRUE(is_valid_tracestate_value(" a"));
}

TEST(Tracestate, MemberCountLimit) {
  std::string h;
  for (int i = 1; i <= 32; ++i) {
    if (i > 1) h += ',';
    h += "bar" + std::to_string(i) + "=" + std::to_string(i);
  }
  auto ts = TraceState::parse(h);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->size(), 32u);
  EXPECT_FALSE(TraceState::parse(h + ",bar33=33"));
}

TEST(Tracestate, SetMovesLeftAndDropsRightmost) {
  auto ts = TraceState::parse("a=1,b=2,c=3");
  ASSERT_TRUE(ts);
  EXPECT_TRUE(ts->set("c", "4"));
  EXPECT_EQ(ts->header(), "c=4,a=1,b=2");
  EXPECT_TRUE(ts->set("new", "x"));
  EXPECT_EQ(ts->header(), "new=x,c=4,a=1,b=2");
  EXPECT_FALSE(ts->set("Bad", "x"));
  EXPECT_FALSE(ts->set("ok", "a,b"));
  EXPECT_EQ(ts->size(), 4u);
  TraceState full;
  for (int i = 0; i < 33; ++i) EXPECT_TRUE(full.set("k" + std::to_string(i), "v"));
  EXPECT_EQ(full.size(), 32u);
  EXPECT_EQ(full.members().front().key, "k32");
  EXPECT_FALSE(full.get("k0"));  // the right-most (oldest) was dropped
  EXPECT_TRUE(full.erase("k1"));
  EXPECT_FALSE(full.erase("k1"));
}

TEST(Tracestate, TruncationRemovesLargeMembersFirstThenFromTheRight) {
  TraceState ts;
  // Added right to left: final order big1, s1, big2, s2, s3 (set moves to the left).
  const std::string big(200, 'x');
  ASSERT_TRUE(ts.set("s3", std::string(100, 'c')));
  ASSERT_TRUE(ts.set("s2", std::string(100, 'b')));
  ASSERT_TRUE(ts.set("big2", big));
  ASSERT_TRUE(ts.set("s1", std::string(100, 'a')));
  ASSERT_TRUE(ts.set("big1", big));
  const std::string all = ts.header(10000);
  EXPECT_GT(all.size(), 512u);
  const std::string cut = ts.header();
  EXPECT_LE(cut.size(), 512u);
  // Without big2 (the right-most large member) it is 205+3*103+3 = 517 > 512: big1 goes too.
  EXPECT_EQ(cut, "s1=" + std::string(100, 'a') + ",s2=" + std::string(100, 'b') +
                     ",s3=" + std::string(100, 'c'));
  // With a tighter limit, small members go from the right.
  EXPECT_EQ(ts.header(220), "s1=" + std::string(100, 'a') + ",s2=" + std::string(100, 'b'));
  EXPECT_EQ(ts.header(10), "");
}

TEST(B3, SingleAndMulti) {
  auto ctx = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(ctx);
  char single[kB3SingleLen];
  format_b3_single(*ctx, single);
  EXPECT_EQ(std::string(single, kB3SingleLen),
            "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");
  auto multi = format_b3_multi(*ctx);
  EXPECT_EQ(multi.trace_id_view(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(multi.span_id_view(), "00f067aa0ba902b7");
  EXPECT_EQ(multi.sampled_view(), "1");
  ctx->flags = 0;
  format_b3_single(*ctx, single);
  EXPECT_EQ(single[50], '0');
  EXPECT_EQ(format_b3_multi(*ctx).sampled, '0');
}

}  // namespace
}  // namespace loadgen::otel
