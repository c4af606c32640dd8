// The web UI's routes against a fake Runner: the page and its embedded assets (Content-Type,
// Cache-Control, relative URLs), /stats/history's deltas and replace flag, /stats/loadgen's
// control field.
#include "web/ui_routes.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "web/assets.hpp"

namespace loadgen::web {
namespace {

using nlohmann::json;

class FakeRunner final : public engine::Runner {
 public:
  void post(engine::Command) override {}
  engine::RunState state() const override { return snap.state; }
  engine::RunnerSnapshot snapshot() const override { return snap; }
  engine::RunnerSnapshot snap;
};

std::string header(const server::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (server::iequals(k, name)) return v;
  }
  return {};
}

struct UiRoutes : ::testing::Test {
  UiRoutes() {
    ApiSettings s;
    s.host = "http://shop:8080";
    s.history = [this](std::uint64_t since) { return history.since(since); };
    s.users_flag = "loadGeneratorVUs";
    s.trace_link = "http://jaeger:16686/trace/{trace_id}";
    s.users = 25;
    s.spawn_rate = 2.5;
    add_api_routes(router, runner, std::move(s));
  }
  server::Response get(std::string target) {
    server::Request r;
    r.method = "GET";
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    return router.route(r);
  }
  json get_json(std::string target) {
    const server::Response r = get(std::move(target));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }

  stats::History history{16};
  FakeRunner runner;
  server::Router router;
};

TEST_F(UiRoutes, ServesThePageWithRelativeUrlsOnly) {
  const server::Response r = get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_NE(r.body.find("src=\"assets/app.js\""), std::string::npos);
  EXPECT_NE(r.body.find("src=\"assets/uPlot.iife.min.js\""), std::string::npos);
  EXPECT_FALSE(std::regex_search(r.body, std::regex("(src|href|action)=\"(/|https?:)")));
}

TEST_F(UiRoutes, ServesEveryEmbeddedAssetWithItsType) {
  for (const char* name : {"app.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css"}) {
    ASSERT_NE(find_embedded(name), nullptr) << name;
    const server::Response r = get(std::string("/assets/") + name);
    EXPECT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.body, find_embedded(name)->body) << name;
    EXPECT_FALSE(r.body.empty()) << name;
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache") << name;
    EXPECT_EQ(r.content_type, content_type_for(name)) << name;
  }
  EXPECT_EQ(get("/assets/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/assets/uPlot.min.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(get("/assets/nothing.js").status, 404);
  EXPECT_EQ(get("/assets/index.html").status, 404);  // only at /
  EXPECT_EQ(get("/assets/").status, 404);
}

TEST_F(UiRoutes, HistoryGivesDeltasAndSaysWhenToReplace) {
  json h = get_json("/stats/history");
  EXPECT_TRUE(h["points"].empty());
  stats::HistoryPoint p;
  p.t = 100;
  p.users = 3;
  p.rps = 12.5;
  history.add(p);
  p.t = 101;
  p.p50_ms = 7;
  p.p95_ms = 20;
  history.add(p);
  h = get_json("/stats/history?since=0");
  EXPECT_TRUE(h["replace"].get<bool>());
  ASSERT_EQ(h["points"].size(), 2u);
  const json& first = h["points"][0];
  EXPECT_EQ(first["t"], 100);
  EXPECT_EQ(first["users"], 3);
  EXPECT_EQ(first["rps"], 12.5);
  EXPECT_TRUE(first["p50"].is_null());
  EXPECT_TRUE(first["p95"].is_null());
  for (const char* key :
       {"span_s", "fail_per_s", "spans_exported_per_s", "spans_dropped_per_s", "loop_cpu_max"}) {
    EXPECT_TRUE(first[key].is_number()) << key;
  }
  EXPECT_EQ(h["points"][1]["p50"], 7);
  const auto next = h["next"].get<std::uint64_t>();
  p.t = 102;
  history.add(p);
  const json d = get_json("/stats/history?since=" + std::to_string(next));
  EXPECT_FALSE(d["replace"].get<bool>());
  ASSERT_EQ(d["points"].size(), 1u);
  EXPECT_EQ(d["points"][0]["t"], 102);
  history.clear();
  EXPECT_TRUE(get_json("/stats/history?since=" + std::to_string(next))["replace"].get<bool>());
  EXPECT_EQ(get("/stats/history?since=-1").status, 400);
  EXPECT_EQ(get("/stats/history?since=abc").status, 400);
}

TEST_F(UiRoutes, LoadgenSaysWhoControlsTheUserCount) {
  json j = get_json("/stats/loadgen");
  EXPECT_EQ(j["control"], "ui");
  EXPECT_TRUE(j["flag_users"].is_null());
  EXPECT_EQ(j["flag_name"], "loadGeneratorVUs");
  EXPECT_EQ(j["host"], "http://shop:8080");
  EXPECT_EQ(j["trace_link"], "http://jaeger:16686/trace/{trace_id}");
  EXPECT_FALSE(j["version"].get<std::string>().empty());
  EXPECT_EQ(j["users"], 25);  // -u and -r: the forms start from them
  EXPECT_EQ(j["spawn_rate"], 2.5);
  runner.snap.flag_users = 12;
  runner.snap.flag_control = true;
  runner.snap.target = 12;
  j = get_json("/stats/loadgen");
  EXPECT_EQ(j["control"], "flag");
  EXPECT_EQ(j["flag_users"], 12);
  EXPECT_EQ(j["target_users"], 12);
}

TEST_F(UiRoutes, LoadgenThresholds) {
  EXPECT_EQ(get_json("/stats/loadgen")["thresholds"], json::array());  // none configured
  ApiSettings s;
  s.thresholds = [] { return std::string(R"([{"expression": "p95<1s", "status": "pass"}])"); };
  json j = json::parse(loadgen_json(runner.snap, s));
  ASSERT_EQ(j["thresholds"].size(), 1u);
  EXPECT_EQ(j["thresholds"][0]["status"], "pass");
  s.thresholds = [] { return std::string("not json"); };
  EXPECT_EQ(json::parse(loadgen_json(runner.snap, s))["thresholds"], json::array());
}

TEST(WebAssets, ContentTypes) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace loadgen::web
