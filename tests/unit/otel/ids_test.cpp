// Trace/span id generation and hex coding.
#include "otel/ids.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

namespace loadgen::otel {
namespace {

TEST(Ids, RandomIdsAreValidAndDistinct) {
  core::Rng rng(42);
  std::set<std::string> traces;
  std::set<std::string> spans;
  for (int i = 0; i < 1000; ++i) {
    const TraceId t = random_trace_id(rng);
    const SpanId s = random_span_id(rng);
    EXPECT_TRUE(is_valid(t));
    EXPECT_TRUE(is_valid(s));
    traces.insert(to_hex(t));
    spans.insert(to_hex(s));
  }
  EXPECT_EQ(traces.size(), 1000u);
  EXPECT_EQ(spans.size(), 1000u);
}

TEST(Ids, SameSeedSameIds) {
  core::Rng a(7);
  core::Rng b(7);
  EXPECT_EQ(random_trace_id(a), random_trace_id(b));
  EXPECT_EQ(random_span_id(a), random_span_id(b));
}

TEST(Ids, ZeroIsInvalid) {
  EXPECT_FALSE(is_valid(TraceId{}));
  EXPECT_FALSE(is_valid(SpanId{}));
}

TEST(Ids, HexRoundTrip) {
  auto t = trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)[0], 0x4b);
  EXPECT_EQ((*t)[15], 0x36);
  EXPECT_EQ(to_hex(*t), "4bf92f3577b34da6a3ce929d0e0e4736");
  auto upper = trace_id_from_hex("4BF92F3577B34DA6A3CE929D0E0E4736");
  ASSERT_TRUE(upper);
  EXPECT_EQ(*upper, *t);
  auto s = span_id_from_hex("00f067aa0ba902b7");
  ASSERT_TRUE(s);
  EXPECT_EQ(to_hex(*s), "00f067aa0ba902b7");
  char buf[kSpanIdHexLen];
  to_hex(*s, buf);
  EXPECT_EQ(std::string(buf, kSpanIdHexLen), "00f067aa0ba902b7");
}

// Every byte value at every position of both id sizes, against printf's %02x.
TEST(Ids, HexOfEveryByteAtEveryPosition) {
  for (int v = 0; v < 256; ++v) {
    char want[3];
    std::snprintf(want, sizeof want, "%02x", v);
    for (std::size_t pos = 0; pos < 16; ++pos) {
      TraceId t{};
      t[pos] = static_cast<std::uint8_t>(v);
      std::string expect(kTraceIdHexLen, '0');
      expect.replace(2 * pos, 2, want);
      ASSERT_EQ(to_hex(t), expect) << "byte " << v << " at " << pos;
      if (pos < 8) {
        SpanId s{};
        s[pos] = static_cast<std::uint8_t>(v);
        char buf[kSpanIdHexLen + 1];
        buf[kSpanIdHexLen] = '#';  // written up to its length, not past it
        to_hex(s, buf);
        ASSERT_EQ(buf[kSpanIdHexLen], '#');
        ASSERT_EQ(std::string(buf, kSpanIdHexLen), expect.substr(0, kSpanIdHexLen));
      }
    }
  }
}

TEST(Ids, HexRejectsBadInput) {
  EXPECT_FALSE(trace_id_from_hex(""));
  EXPECT_FALSE(trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e473"));
  EXPECT_FALSE(trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e47366"));
  EXPECT_FALSE(trace_id_from_hex("4bf92f3577b34da6a3ce929d0e0e473g"));
  EXPECT_FALSE(span_id_from_hex("00f067aa0ba902b"));
  EXPECT_FALSE(span_id_from_hex("00f067aa-ba902b7"));
  auto zero = trace_id_from_hex("00000000000000000000000000000000");
  ASSERT_TRUE(zero);
  EXPECT_FALSE(is_valid(*zero));
}

TEST(Ids, RandomBitsAreTheLow56) {
  auto t = trace_id_from_hex("ffffffffffffffffff0102030405060a");
  ASSERT_TRUE(t);
  EXPECT_EQ(trace_id_random_bits(*t), 0x0102030405060aull);
}

}  // namespace
}  // namespace loadgen::otel
