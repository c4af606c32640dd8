// Tests for core/redact: userinfo never survives in a printed URL.
#include "core/redact.hpp"

#include <gtest/gtest.h>

namespace loadgen::core {
namespace {

TEST(RedactUserinfo, ReplacesUserAndPassword) {
  EXPECT_EQ(redact_userinfo("http://user:s3cret@host:4318/v1/traces"),
            "http://REDACTED@host:4318/v1/traces");
  EXPECT_EQ(redact_userinfo("https://token@host"), "https://REDACTED@host");
  EXPECT_EQ(redact_userinfo("user:s3cret@host:4317"), "REDACTED@host:4317");  // gRPC, no scheme
  EXPECT_EQ(redact_userinfo("http://a:b@c@[::1]:4318/"), "http://REDACTED@[::1]:4318/");
}

TEST(RedactUserinfo, MalformedPasswordsAreRedactedToo) {
  EXPECT_EQ(redact_userinfo("http://user:pa/ss@host:4318/v1"), "http://REDACTED@host:4318/v1");
  EXPECT_EQ(redact_userinfo("http://user:pa/ss@host/x?q=a@b"), "http://REDACTED@host/x?q=a@b");
}

TEST(RedactUserinfo, LeavesUrlsWithoutUserinfoAlone) {
  EXPECT_EQ(redact_userinfo("http://localhost:4318/v1/traces"), "http://localhost:4318/v1/traces");
  EXPECT_EQ(redact_userinfo("http://host/search?mail=a@b"), "http://host/search?mail=a@b");
  EXPECT_EQ(redact_userinfo(""), "");
  EXPECT_EQ(redact_userinfo("not a url"), "not a url");
}

}  // namespace
}  // namespace loadgen::core
