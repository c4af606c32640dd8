#include "otel/attribute_limits.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::otel {
namespace {

std::string str(const Attribute& a) { return std::get<std::string>(a.value.v); }

TEST(AttributeLimits, PutReplacesAKeyAndDropsNewKeysBeyondTheCount) {
  Attributes at;
  std::uint32_t dropped = 0;
  put_attribute(at, dropped, "a", {std::string("1")}, 2, std::nullopt);
  put_attribute(at, dropped, "b", {std::string("2")}, 2, std::nullopt);
  put_attribute(at, dropped, "c", {std::string("3")}, 2, std::nullopt);
  put_attribute(at, dropped, "a", {std::string("4")}, 2, std::nullopt);
  ASSERT_EQ(at.size(), 2u);
  EXPECT_EQ(str(at[0]), "4");
  EXPECT_EQ(dropped, 1u);
}

TEST(AttributeLimits, TruncationNeverSplitsAUtf8Sequence) {
  AttrValue v{std::string("ab\xC3\xA9z")};  // "abéz": é is two bytes
  truncate_value(v, 3);
  EXPECT_EQ(std::get<std::string>(v.v), "ab");
  AttrValue w{std::string("ab\xC3\xA9z")};
  truncate_value(w, 4);
  EXPECT_EQ(std::get<std::string>(w.v), "ab\xC3\xA9");
  AttrValue n{std::int64_t{123456}};
  truncate_value(n, 1);
  EXPECT_EQ(std::get<std::int64_t>(n.v), 123456);
}

TEST(AttributeLimits, LimitAttributesCountsWhatItDropsAndTruncatesTheRest) {
  Attributes at{{"session.id", {std::string("0123456789")}},
                {"feature_flag.key", {std::string("k")}},
                {"x", {std::int64_t{1}}}};
  std::uint32_t dropped = 1;  // already dropped before
  limit_attributes(at, dropped, 2, 4);
  ASSERT_EQ(at.size(), 2u);
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(str(at[0]), "0123");
  EXPECT_EQ(str(at[1]), "k");
  Attributes none{{"a", {std::string("long value")}}};
  std::uint32_t d2 = 0;
  limit_attributes(none, d2, 128, std::nullopt);  // the defaults change nothing
  EXPECT_EQ(str(none[0]), "long value");
  EXPECT_EQ(d2, 0u);
}

}  // namespace
}  // namespace loadgen::otel
