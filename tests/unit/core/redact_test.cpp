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

TEST(RedactUrlIn, ReplacesEveryQuotedCopy) {
  const std::string url = "http://u:s3cret@h:1/v1/traces";
  EXPECT_EQ(redact_url_in("malformed: invalid URL 'http://u:s3cret@h:1/v1/traces': bad; again "
                          "http://u:s3cret@h:1/v1/traces",
                          url),
            "malformed: invalid URL 'http://REDACTED@h:1/v1/traces': bad; again "
            "http://REDACTED@h:1/v1/traces");
  EXPECT_EQ(redact_url_in("connect_refused", url), "connect_refused");
  EXPECT_EQ(redact_url_in("x http://h:1 y", "http://h:1"), "x http://h:1 y");
  EXPECT_EQ(redact_url_in("text", ""), "text");
}

}  // namespace
}  // namespace loadgen::core
