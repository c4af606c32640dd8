// Tests for flags/ofrep_config: FLAGD_HOST / FLAGD_OFREP_PORT parsing and the base URL.
#include "flags/ofrep_config.hpp"

#include <gtest/gtest.h>

namespace loadgen::flags {
namespace {

TEST(OfrepConfigFromEnv, Defaults) {
  const auto cfg = ofrep_config_from_env({});
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->host, "localhost");
  EXPECT_EQ(cfg->port, 8016);
  EXPECT_EQ(cfg->cache_ttl, std::chrono::milliseconds(1000));
  EXPECT_EQ(cfg->timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(cfg->warn_interval, std::chrono::seconds(30));
}

TEST(OfrepConfigFromEnv, DemoEnvironment) {
  // The demo's compose file sets all three; FLAGD_PORT is the gRPC port and is ignored.
  const auto cfg = ofrep_config_from_env(
      {{"FLAGD_HOST", "flagd"}, {"FLAGD_PORT", "8013"}, {"FLAGD_OFREP_PORT", "8016"}});
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->host, "flagd");
  EXPECT_EQ(cfg->port, 8016);
  const auto url = ofrep_base_url(*cfg);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->origin(), "http://flagd:8016");
}

TEST(OfrepConfigFromEnv, EmptyKeepsDefaults) {
  const auto cfg = ofrep_config_from_env({{"FLAGD_HOST", ""}, {"FLAGD_OFREP_PORT", ""}});
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->host, "localhost");
  EXPECT_EQ(cfg->port, 8016);
}

TEST(OfrepConfigFromEnv, Ipv6Host) {
  for (const char* host : {"::1", "[::1]"}) {
    const auto cfg = ofrep_config_from_env({{"FLAGD_HOST", host}, {"FLAGD_OFREP_PORT", "9000"}});
    ASSERT_TRUE(cfg.ok()) << host;
    const auto url = ofrep_base_url(*cfg);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->origin(), "http://[::1]:9000");
  }
}

TEST(OfrepConfigFromEnv, BadPortNamesTheVariable) {
  for (const char* port : {"abc", "0", "65536", "80 80", "-1", "123456"}) {
    const auto cfg = ofrep_config_from_env({{"FLAGD_OFREP_PORT", port}});
    ASSERT_FALSE(cfg.ok()) << port;
    EXPECT_EQ(cfg.error().code, "bad_value");
    EXPECT_NE(cfg.error().message.find("FLAGD_OFREP_PORT"), std::string::npos);
    EXPECT_NE(cfg.error().message.find(port), std::string::npos);
  }
}

TEST(OfrepConfigFromEnv, BadHostNamesTheVariable) {
  for (const char* host : {"http://flagd", "flagd:8016", "fla gd", "a/b", "user@flagd"}) {
    const auto cfg = ofrep_config_from_env({{"FLAGD_HOST", host}});
    ASSERT_FALSE(cfg.ok()) << host;
    EXPECT_EQ(cfg.error().code, "bad_value");
    EXPECT_NE(cfg.error().message.find("FLAGD_HOST"), std::string::npos) << cfg.error().message;
    EXPECT_FALSE(cfg.error().hint.empty());
  }
}

}  // namespace
}  // namespace loadgen::flags
