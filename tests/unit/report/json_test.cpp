// JSON summary: structure, escaping and number formatting.
#include "report/json.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

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

TEST(Json, EmptyAggregateIsAnEmptyList) {
  stats::Aggregate a(1700000000.5);
  EXPECT_EQ(format_json_summary(a), "[]\n");
}

// Locust's serialize_stats() leaves out entries without requests or failures (after a reset).
TEST(Json, EntriesWithoutRequestsAreLeftOut) {
  stats::Aggregate a(1000.0);
  stats::Shard shard;
  shard.record("GET", "/a", 1000, 1, "", 1000.5);
  a.merge(shard.take());
  a.reset(1001.0);
  EXPECT_EQ(format_json_summary(a), "[]\n");
  shard.record("GET", "/b", 1000, 1, "", 1001.5);
  a.merge(shard.take());
  const auto doc = nlohmann::json::parse(format_json_summary(a));
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["name"], "/b");
}

// The same scenario through the real Locust 2.12.1 (make_golden.py: json.dumps(
// stats.serialize_stats(), indent=4)): the same keys in the same order and the same values,
// per (name, method); Locust lists entries in insertion order, loadgen sorted.
TEST(Json, MatchesLocustSerializeStats) {
  using nlohmann::json;
  const json ours = json::parse(format_json_summary(testing::scenario()));
  const json locust = json::parse(testing::read_golden("serialize_stats.json"));
  ASSERT_TRUE(locust.is_array());
  ASSERT_EQ(ours.size(), locust.size());
  std::map<std::pair<std::string, std::string>, json> by_key;
  for (const json& e : locust) by_key[{e["name"], e["method"]}] = e;
  for (const json& e : ours) {
    const auto it = by_key.find({e["name"], e["method"]});
    ASSERT_NE(it, by_key.end()) << e["name"];
    const json& want = it->second;
    std::vector<std::string> our_keys, locust_keys;
    for (const auto& [k, v] : e.items()) our_keys.push_back(k);
    for (const auto& [k, v] : want.items()) locust_keys.push_back(k);
    EXPECT_EQ(our_keys, locust_keys);  // nlohmann::json sorts keys: the same set
    for (const auto& [k, v] : want.items()) {
      if (v.is_number()) {
        EXPECT_DOUBLE_EQ(e[k].get<double>(), v.get<double>()) << e["name"] << " " << k;
      } else {
        EXPECT_EQ(e[k], v) << e["name"] << " " << k;
      }
    }
  }
  // The key order of Locust's StatsEntryDict, as written.
  const std::string text = format_json_summary(testing::scenario());
  std::size_t pos = 0;
  for (const char* key : {"name", "method", "last_request_timestamp", "start_time", "num_requests",
                          "num_none_requests", "num_failures", "total_response_time",
                          "max_response_time", "min_response_time", "total_content_length",
                          "response_times", "num_reqs_per_sec", "num_fail_per_sec"}) {
    const std::size_t at = text.find(std::string("\"") + key + "\":", pos);
    ASSERT_NE(at, std::string::npos) << key;
    pos = at;
  }
}

TEST(Json, ResponseTimeBucketsRoundLikeLocust) {
  // One sample per entry: min = max, so the value is exact. Python: round(14.5) * 10 == 140,
  // round(15.5) * 10 == 160, round(99.5) == 100, round(98.5) == 98, round(12.5) * 100 == 1200.
  const std::pair<std::uint64_t, std::int64_t> cases[] = {
      {7'000, 7},          {98'500, 98},       {99'500, 100},     {145'000, 140},
      {155'000, 160},      {999'000, 1000},    {1'250'000, 1200}, {1'350'000, 1400},
      {12'500'000, 12000}, {13'500'000, 14000}};
  for (const auto& [us, bucket] : cases) {
    stats::Entry e;
    e.log(us, 0, 1000.0);
    const auto rt = locust_response_times(e);
    ASSERT_EQ(rt.size(), 1u) << us;
    EXPECT_EQ(rt.begin()->first, bucket) << us;
    EXPECT_EQ(rt.begin()->second, 1u);
  }
  stats::Entry many;
  for (int i = 0; i < 1000; ++i) many.log(static_cast<std::uint64_t>(i) * 1000 + 500, 0, 1000.0);
  std::uint64_t total = 0;
  for (const auto& [ms, n] : locust_response_times(many)) total += n;
  EXPECT_EQ(total, 1000u);
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
    if (c == '{' && depth == 1) ++objects;  // entries only, not their dicts
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
  EXPECT_FALSE(in_string);
  EXPECT_EQ(objects, 4);
  // The Aggregated total is not in the list; the GET / entry carries Locust's fields in ms.
  EXPECT_EQ(json.find("Aggregated"), std::string::npos);
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
                      "        \"total_content_length\": 16048,\n"
                      "        \"response_times\": {\n"
                      "            \"10\": 3,\n"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find(",\n    }"), std::string::npos);  // no trailing commas
  EXPECT_EQ(json.find("},\n]"), std::string::npos);
}

}  // namespace
}  // namespace loadgen::report
