#include "core/json_string.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace loadgen::core {
namespace {

std::string json(std::string_view s, JsonStringStyle style = {}) {
  std::string out;
  append_json_string(out, s, style);
  return out;
}

constexpr JsonStringStyle kReportStyle{.escape_del = true, .escape_replacement = true};

TEST(JsonString, StringEscapingAndInvalidUtf8) {
  std::string out;
  append_json_string(out, std::string("q\" b\\ /\b\f\n\r\t\x01\x1f\x7f") + std::string(1, '\0'));
  EXPECT_EQ(out, R"("q\" b\\ /\b\f\n\r\t\u0001\u001f)"
                 "\x7f"
                 R"(\u0000")");
  out.clear();
  append_json_string(out, "ok \xC3\xA9 \xF0\x9F\x9A\x80 bad \xFF\xC3 \xED\xA0\x80");
  EXPECT_EQ(out,
            "\"ok \xC3\xA9 \xF0\x9F\x9A\x80 bad \xEF\xBF\xBD\xEF\xBF\xBD "
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_TRUE(nlohmann::json::accept(out));
}

TEST(JsonString, EveryControlCharacterIsEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    const std::string out = json(in);
    ASSERT_TRUE(nlohmann::json::accept(out)) << c;
    EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), in) << c;
    for (char b : out) EXPECT_GE(static_cast<unsigned char>(b), 0x20U) << c;
  }
  EXPECT_EQ(json("\x01\x1f"), R"("\u0001\u001f")");  // lower-case hex
  EXPECT_EQ(json("\b\f\n\r\t"), R"("\b\f\n\r\t")");
}

TEST(JsonString, ReportStyleEscapesDelAndTheReplacement) {
  EXPECT_EQ(json("\x7f", kReportStyle), R"("\u007f")");
  EXPECT_EQ(json("\x7f"), "\"\x7f\"");
  EXPECT_EQ(json("bad\xff\xc3", kReportStyle), R"("bad\ufffd\ufffd")");
  EXPECT_EQ(json("\xed\xa0\x80", kReportStyle), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(json("\xc0\xaf", kReportStyle), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(json("caf\xc3\xa9", kReportStyle), "\"caf\xc3\xa9\"");  // valid UTF-8 stays raw
}

TEST(JsonString, OutputIsAlwaysValidJson) {
  const std::string in = std::string("a\0\"\\\x7f\xE2\x82\xAC\xE2\x82\xFF\xF4\x90\x80\x80", 15);
  for (const JsonStringStyle style : {JsonStringStyle{}, kReportStyle}) {
    const std::string out = json(in, style);
    ASSERT_TRUE(nlohmann::json::accept(out)) << out;
    EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(),
              std::string("a\0\"\\\x7f\xE2\x82\xAC\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                          "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
                          26));
  }
}

TEST(JsonString, AppendsAfterExistingContent) {
  std::string out = "{\"k\":";
  append_json_string(out, "v");
  EXPECT_EQ(out, R"({"k":"v")");
}

}  // namespace
}  // namespace loadgen::core
