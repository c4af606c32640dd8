// The web API's handlers against a fake Runner: the commands they post, Locust 2.12's JSON keys
// and types, /swarm's form validation, basic auth.
#include "web/api.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/base64.hpp"
#include "report/csv.hpp"
#include "stats/aggregate.hpp"

namespace loadgen::web {
namespace {

using nlohmann::json;

class FakeRunner final : public engine::Runner {
 public:
  void post(engine::Command c) override { posted.push_back(c); }
  engine::RunState state() const override { return snap.state; }
  engine::RunnerSnapshot snapshot() const override { return snap; }

  std::vector<engine::Command> posted;
  engine::RunnerSnapshot snap;
};

struct WebApi : ::testing::Test {
  WebApi() {
    add_api_routes(
        router, runner,
        ApiSettings{.host = "http://target:8080",
                    .wall_now = [this] { return wall; },
                    .history_csv_path = "",
                    .on_run_time = [this](std::chrono::seconds t) { run_times.push_back(t); },
                    .metrics = [] { return std::string("m 1\n"); },
                    .history = nullptr,
                    .users_flag = "",
                    .trace_link = ""});
  }

  server::Response call(std::string method, std::string path, std::string body = {}) {
    server::Request r;
    r.method = std::move(method);
    r.target = path;
    r.path = std::move(path);
    r.body = std::move(body);
    return router.route(r);
  }
  json call_json(std::string method, std::string path, std::string body = {}) {
    const server::Response r = call(std::move(method), std::move(path), std::move(body));
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }

  FakeRunner runner;
  server::Router router;
  std::vector<std::chrono::seconds> run_times;
  double wall = 1.5;  // the fake wall clock (epoch seconds)
};

// Settings with a host (and a history CSV path), every callback null.
ApiSettings settings_for(std::string host, std::string history_csv_path = "") {
  ApiSettings s;
  s.host = std::move(host);
  s.history_csv_path = std::move(history_csv_path);
  return s;
}

std::shared_ptr<const stats::Aggregate> sample_stats() {
  auto a = std::make_shared<stats::Aggregate>(1000.0);
  stats::Snapshot s;
  s.entries.push_back(stats::Entry{});
  stats::Entry& e = s.entries.back();
  e.method = "GET";
  e.name = "/a<b>";
  for (int i = 0; i < 10; ++i) e.log(static_cast<std::uint64_t>(1000 * (i + 1)), 100, 1001.0 + i);
  e.log_error(1005.0);
  s.errors.add("GET", "/a<b>", "HTTP 500 \"bad\"");
  a->merge(std::move(s));
  return a;
}

TEST_F(WebApi, SwarmStartsWhenReadyAndAnswersLocustsShape) {
  const server::Response r = call("POST", "/swarm", "user_count=5&spawn_rate=2.5&host=");
  EXPECT_EQ(r.status, 200);
  const json j = json::parse(r.body);
  EXPECT_EQ(
      j,
      (json{{"success", true}, {"message", "Swarming started"}, {"host", "http://target:8080"}}));
  ASSERT_EQ(runner.posted.size(), 1u);
  EXPECT_EQ(runner.posted[0].kind, engine::Command::Kind::kStart);
  EXPECT_EQ(runner.posted[0].users, 5);
  EXPECT_DOUBLE_EQ(runner.posted[0].spawn_rate, 2.5);
}

TEST_F(WebApi, SwarmWhileRunningChangesTheUserCount) {
  runner.snap.state = engine::RunState::kRunning;
  EXPECT_EQ(
      call("POST", "/swarm", "user_count=7&spawn_rate=1&host=http%3A%2F%2Ftarget%3A8080").status,
      200);
  ASSERT_EQ(runner.posted.size(), 1u);
  EXPECT_EQ(runner.posted[0].kind, engine::Command::Kind::kSetUsers);
  EXPECT_EQ(runner.posted[0].users, 7);
}

TEST_F(WebApi, SwarmRejectsBadFormsWith400AndAMessage) {
  for (const char* body :
       {"spawn_rate=1", "user_count=3", "user_count=x&spawn_rate=1", "user_count=-1&spawn_rate=1",
        "user_count=1&spawn_rate=0", "user_count=1&spawn_rate=nan",
        "user_count=1&spawn_rate=1&host=http://other", "user_count=%zz&spawn_rate=1"}) {
    const server::Response r = call("POST", "/swarm", body);
    EXPECT_EQ(r.status, 400) << body;
    const json j = json::parse(r.body);
    EXPECT_EQ(j["success"], false) << body;
    EXPECT_TRUE(j["message"].is_string() && !j["message"].get<std::string>().empty()) << body;
  }
  EXPECT_TRUE(runner.posted.empty());
}

TEST_F(WebApi, SwarmRunTime) {
  json j = call_json("POST", "/swarm", "user_count=1&spawn_rate=1&run_time=1m30s");
  EXPECT_EQ(j["run_time"], 90);
  EXPECT_EQ(run_times, (std::vector<std::chrono::seconds>{std::chrono::seconds(90)}));
  j = call_json("POST", "/swarm", "user_count=1&spawn_rate=1&run_time=");
  EXPECT_FALSE(j.contains("run_time"));
  const server::Response r = call("POST", "/swarm", "user_count=1&spawn_rate=1&run_time=soon");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["message"],
            "Valid run_time formats are : 20, 20s, 3m, 2h, 1h20m, 3h30m10s, etc.");
  EXPECT_EQ(run_times.size(), 1u);
  EXPECT_EQ(runner.posted.size(), 2u);  // the bad form posted nothing
}

TEST_F(WebApi, SwarmAfterAStopStartsANewRun) {
  // Locust 2.12 accepts a /swarm after a stop (runners.py start()); so does a stop in progress.
  for (const auto state : {engine::RunState::kStopped, engine::RunState::kStopping}) {
    runner.snap.state = state;
    EXPECT_EQ(call("POST", "/swarm", "user_count=3&spawn_rate=1").status, 200);
  }
  ASSERT_EQ(runner.posted.size(), 2u);
  EXPECT_EQ(runner.posted[0].kind, engine::Command::Kind::kStart);
  EXPECT_EQ(runner.posted[1].kind, engine::Command::Kind::kStart);
  EXPECT_EQ(runner.posted[1].users, 3);
}

TEST_F(WebApi, SwarmIsPostOnly) { EXPECT_EQ(call("GET", "/swarm").status, 405); }

TEST_F(WebApi, StopAndReset) {
  EXPECT_EQ(call_json("GET", "/stop"), (json{{"success", true}, {"message", "Test stopped"}}));
  const server::Response r = call("GET", "/stats/reset");
  EXPECT_EQ(r.body, "ok");
  ASSERT_EQ(runner.posted.size(), 2u);
  EXPECT_EQ(runner.posted[0].kind, engine::Command::Kind::kStop);
  EXPECT_EQ(runner.posted[1].kind, engine::Command::Kind::kResetStats);
}

TEST_F(WebApi, StatsRequestsBeforeAnyCollection) {
  runner.snap.state = engine::RunState::kReady;
  const json j = call_json("GET", "/stats/requests");
  EXPECT_EQ(j["state"], "ready");
  EXPECT_EQ(j["user_count"], 0);
  ASSERT_EQ(j["stats"].size(), 1u);
  EXPECT_EQ(j["stats"][0]["name"], "Aggregated");
  EXPECT_TRUE(j["stats"][0]["method"].is_null());
  EXPECT_TRUE(j["current_response_time_percentile_95"].is_null());
  EXPECT_TRUE(j["current_response_time_percentile_50"].is_null());
  EXPECT_TRUE(j["errors"].is_array() && j["errors"].empty());
  // Locust's int 0 before any request (tests/integration/test_locust_api_shape.py).
  EXPECT_TRUE(j["total_rps"].is_number_integer());
  EXPECT_TRUE(j["stats"][0]["current_rps"].is_number_integer());
  EXPECT_TRUE(j["stats"][0]["current_fail_per_sec"].is_number_integer());
  EXPECT_TRUE(j["stats"][0]["avg_content_length"].is_number_integer());
}

TEST_F(WebApi, StatsRequestsHasLocustsKeysAndTypes) {
  runner.snap.state = engine::RunState::kRunning;
  runner.snap.user_count = 3;
  runner.snap.stats = sample_stats();
  wall = 1011.0;  // the current percentiles cover the 10 s before now (requests at 1001..1010)
  const json j = call_json("GET", "/stats/requests");
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "current_response_time_percentile_50", "current_response_time_percentile_95",
                      "errors", "fail_ratio", "state", "stats", "total_rps", "user_count"}));
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["user_count"], 3);
  EXPECT_TRUE(j["total_rps"].is_number_float());
  EXPECT_TRUE(j["fail_ratio"].is_number_float());
  EXPECT_TRUE(j["current_response_time_percentile_95"].is_number_integer());
  ASSERT_EQ(j["stats"].size(), 2u);
  const json& row = j["stats"][0];
  std::vector<std::string> row_keys;
  for (const auto& [k, v] : row.items()) row_keys.push_back(k);
  EXPECT_EQ(row_keys,
            (std::vector<std::string>{
                "avg_content_length", "avg_response_time", "current_fail_per_sec", "current_rps",
                "max_response_time", "median_response_time", "method", "min_response_time", "name",
                "ninetieth_response_time", "ninety_ninth_response_time", "num_failures",
                "num_requests", "response_time_percentile_0.95", "safe_name"}));
  EXPECT_EQ(row["method"], "GET");
  EXPECT_EQ(row["response_time_percentile_0.95"], 10);  // later Locust's key (the page's 95th)
  EXPECT_EQ(row["name"], "/a<b>");
  EXPECT_EQ(row["safe_name"], "/a&lt;b&gt;");
  EXPECT_EQ(row["num_requests"], 10);
  EXPECT_EQ(row["num_failures"], 1);
  EXPECT_TRUE(row["avg_response_time"].is_number_float());
  EXPECT_TRUE(row["min_response_time"].is_number_float());  // Locust's proper_round: 1.0
  EXPECT_TRUE(row["max_response_time"].is_number_float());
  EXPECT_EQ(row["min_response_time"], 1);
  EXPECT_EQ(row["max_response_time"], 10);
  EXPECT_TRUE(row["median_response_time"].is_number_integer());
  EXPECT_DOUBLE_EQ(row["avg_content_length"].get<double>(), 100.0);
  EXPECT_EQ(j["stats"][1]["name"], "Aggregated");
  EXPECT_EQ(j["stats"][1]["method"], "");  // Locust: "" once a run started (clear_all)
  ASSERT_EQ(j["errors"].size(), 1u);
  EXPECT_EQ(j["errors"][0], (json{{"method", "GET"},
                                  {"name", "/a&lt;b&gt;"},
                                  {"error", "HTTP 500 &quot;bad&quot;"},
                                  {"occurrences", 1}}));
}

TEST_F(WebApi, CsvRoutesServeTheReportFormatters) {
  runner.snap.stats = sample_stats();
  const server::Response r = call("GET", "/stats/requests/csv");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/csv");
  EXPECT_EQ(r.body, report::format_stats_csv(*runner.snap.stats));
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "attachment;filename=requests_1.5.csv");
  EXPECT_EQ(call("GET", "/stats/failures/csv").body,
            report::format_failures_csv(*runner.snap.stats));
  EXPECT_EQ(call("GET", "/exceptions/csv").body, report::format_exceptions_csv({}));
}

TEST(WebApiHistory, ServesTheHistoryFileOr404) {
  FakeRunner runner;
  server::Router without;
  add_api_routes(without, runner, settings_for("h"));
  server::Request req;
  req.method = "GET";
  req.path = req.target = "/stats/requests_full_history/csv";
  EXPECT_EQ(without.route(req).status, 404);
  const std::string path = ::testing::TempDir() + "web_api_history.csv";
  std::ofstream(path, std::ios::binary) << "Timestamp,User Count\r\n1,2\r\n";
  server::Router with;
  add_api_routes(with, runner, settings_for("h", path));
  const server::Response r = with.route(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/csv");
  EXPECT_EQ(r.body, "Timestamp,User Count\r\n1,2\r\n");
  std::remove(path.c_str());
}

TEST_F(WebApi, Exceptions) {
  EXPECT_EQ(call_json("GET", "/exceptions"), (json{{"exceptions", json::array()}}));
  auto ex = std::make_shared<engine::ExceptionCounts>();
  (*ex)[{"Shopper", "browse", "boom <x>"}] = 2;
  (*ex)[{"Shopper", "cart", "other"}] = 5;
  runner.snap.exceptions = ex;
  const json j = call_json("GET", "/exceptions");
  ASSERT_EQ(j["exceptions"].size(), 2u);
  EXPECT_EQ(j["exceptions"][0]["count"], 5);
  EXPECT_EQ(j["exceptions"][1]["msg"], "boom &lt;x&gt;");
  EXPECT_EQ(j["exceptions"][1]["traceback"], "in task browse of user class Shopper");
  EXPECT_EQ(j["exceptions"][1]["nodes"], "local");
  EXPECT_EQ(call("GET", "/exceptions/csv").body,
            report::format_exceptions_csv(exception_rows(*ex)));
}

TEST_F(WebApi, MetricsWhenPrometheusIsOn) {
  const server::Response r = call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "m 1\n");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  server::Router without;
  add_api_routes(without, runner, settings_for("h"));
  server::Request req;
  req.method = "GET";
  req.path = req.target = "/metrics";
  EXPECT_EQ(without.route(req).status, 404);
}

TEST_F(WebApi, IndexLinksAreRelative) {
  const server::Response r = call("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("href=\"stats/requests\""), std::string::npos);
  EXPECT_EQ(r.body.find("href=\"/"), std::string::npos);
}

TEST(WebForm, Decodes) {
  const auto f = parse_form("a=1&b=x+y%2Fz&&c&d=");
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, (std::vector<std::pair<std::string, std::string>>{
                    {"a", "1"}, {"b", "x y/z"}, {"c", ""}, {"d", ""}}));
  EXPECT_FALSE(parse_form("a=%4"));
  EXPECT_FALSE(parse_form("a=%g1"));
}

server::Request with_auth(std::string value) {
  server::Request r;
  r.headers.emplace_back("Authorization", std::move(value));
  return r;
}

TEST(WebBasicAuth, AcceptsOnlyTheCredentials) {
  const std::string good = "Basic " + core::base64_encode("user:pa:ss");
  EXPECT_TRUE(basic_auth_ok(with_auth(good), "user:pa:ss"));
  EXPECT_TRUE(basic_auth_ok(with_auth("basic " + core::base64_encode("user:pa:ss")), "user:pa:ss"));
  EXPECT_FALSE(
      basic_auth_ok(with_auth("Basic " + core::base64_encode("user:pa:sx")), "user:pa:ss"));
  EXPECT_FALSE(
      basic_auth_ok(with_auth("Basic " + core::base64_encode("user:pa:ss2")), "user:pa:ss"));
  EXPECT_FALSE(
      basic_auth_ok(with_auth("Bearer " + core::base64_encode("user:pa:ss")), "user:pa:ss"));
  EXPECT_FALSE(basic_auth_ok(with_auth(""), "user:pa:ss"));
  EXPECT_FALSE(basic_auth_ok(server::Request{}, "user:pa:ss"));
}

// GET /stats/report (the app's HTML, ?download=1 as an attachment) and GET /stats/slow_traces
// (the contract's JSON from the runner's snapshot and the --trace-link template).
server::Response get(server::Router& router, std::string path, std::string query = {}) {
  server::Request r;
  r.method = "GET";
  r.path = path;
  r.query = query;
  r.target = query.empty() ? path : path + "?" + query;
  return router.route(r);
}

ApiSettings settings(std::function<std::string()> html, std::string trace_link = {}) {
  ApiSettings s = settings_for("http://target:8080");
  s.wall_now = [] { return 1700000000.25; };
  s.html_report = std::move(html);
  s.trace_link = std::move(trace_link);
  return s;
}

TEST(ReportRoutes, ReportIsTheAppsHtmlAndDownloadMakesItAnAttachment) {
  FakeRunner runner;
  server::Router router;
  add_api_routes(router, runner, settings([] { return std::string("<!DOCTYPE html>r"); }));
  server::Response r = get(router, "/stats/report");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<!DOCTYPE html>r");
  EXPECT_TRUE(r.headers.empty());
  r = get(router, "/stats/report", "download=1");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Content-Disposition");
  EXPECT_EQ(r.headers[0].second, "attachment; filename=\"loadgen_report_1700000000.html\"");
  EXPECT_TRUE(get(router, "/stats/report", "download=").headers.empty());  // Locust: falsy

  server::Router without;
  add_api_routes(without, runner, settings(nullptr));
  EXPECT_EQ(get(without, "/stats/report").status, 404);
}

TEST(ReportRoutes, SlowTracesFromTheSnapshot) {
  FakeRunner runner;
  server::Router router;
  add_api_routes(router, runner, settings(nullptr, "http://j:16686/trace/{trace_id}"));
  EXPECT_EQ(json::parse(get(router, "/stats/slow_traces").body),
            (json{{"link_template", "http://j:16686/trace/{trace_id}"},
                  {"traces", json::array()}}));  // no collection yet

  auto a = std::make_shared<stats::Aggregate>(1.0);
  stats::Shard shard;
  stats::TraceIdBytes id{};
  id.fill(0xab);
  shard.record("POST", "/api/cart", 12'345, 0, "", 2.0, &id);
  a->merge(shard.take());
  runner.snap.stats = a;
  const server::Response r = get(router, "/stats/slow_traces");
  EXPECT_EQ(r.content_type, "application/json");
  const json j = json::parse(r.body);
  ASSERT_EQ(j["traces"].size(), 1u);
  EXPECT_EQ(j["traces"][0], (json{{"method", "POST"},
                                  {"name", "/api/cart"},
                                  {"trace_id", "abababababababababababababababab"},
                                  {"response_time", 12.345}}));
}

}  // namespace
}  // namespace loadgen::web
