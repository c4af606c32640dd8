// JSON summary: structure, escaping and number formatting.
#include "report/json.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace loadgen::report {
namespace {

TEST(Json, EscapesStrings) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
  EXPECT_EQ(json_string("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"");
  EXPECT_EQ(json_string(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(json_string("\x1f\x7f"), "\"\\u001f\\u007f\"");
  EXPECT_EQ(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80\"");  // valid UTF-8 passes
  EXPECT_EQ(json_string("bad\xff\xc3"), "\"bad\\ufffd\\ufffd\"");
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(json_string("\xc0\xaf"), "\"\\ufffd\\ufffd\"");             // overlong '/'
}

TEST(Json, EmptyAggregateHasOnlyTheTotal) {
  stats::Aggregate a(1700000000.5);
  EXPECT_EQ(format_json_summary(a),
            "[\n"
            "    {\n"
            "        \"name\": \"Aggregated\",\n"
            "        \"method\": \"\",\n"
            "        \"last_request_timestamp\": null,\n"
            "        \"start_time\": 1700000000.5,\n"
            "        \"num_requests\": 0,\n"
            "        \"num_none_requests\": 0,\n"
            "        \"num_failures\": 0,\n"
            "        \"total_response_time\": 0.0,\n"
            "        \"max_response_time\": 0.0,\n"
            "        \"min_response_time\": null,\n"
            "        \"total_content_length\": 0\n"
            "    }\n"
            "]\n");
}

TEST(Json, ScenarioStructure) {
  const std::string json = format_json_summary(testing::scenario());
  ASSERT_EQ(json.front(), '[');
  ASSERT_EQ(json.substr(json.size() - 4), "}\n]\n");
  // Balanced braces/brackets outside strings, and one object per entry plus the total.
  int depth = 0, objects = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '{') ++objects;
    if (c == '}' || c == ']') --depth;
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
  EXPECT_FALSE(in_string);
  EXPECT_EQ(objects, 5);
  // Aggregated is last; the GET / entry carries Locust's fields in ms.
  EXPECT_GT(json.find("\"name\": \"Aggregated\""), json.find("\"name\": \"/product/"));
  EXPECT_NE(json.find("        \"name\": \"/\",\n"
                      "        \"method\": \"GET\",\n"
                      "        \"last_request_timestamp\": 1015.2,\n"
                      "        \"start_time\": 1000.5,\n"
                      "        \"num_requests\": 16,\n"
                      "        \"num_none_requests\": 0,\n"
                      "        \"num_failures\": 0,\n"
                      "        \"total_response_time\": 2950.0,\n"
                      "        \"max_response_time\": 2500.0,\n"
                      "        \"min_response_time\": 10.0,\n"
                      "        \"total_content_length\": 16048\n"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find(",\n    }"), std::string::npos);  // no trailing commas
  EXPECT_EQ(json.find("},\n]"), std::string::npos);
}

}  // namespace
}  // namespace loadgen::report
