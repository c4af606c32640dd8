// Tests for scenario/yaml: the model a YAML file builds (classes, weights, wait times, hosts,
// tasks, tags, nested and sequential task sets, load, thresholds, users_flag) and what its users
// do against a test server (URLs, query, headers, JSON/form bodies, checks, extracts, variables,
// loops, conditionals, data files).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "client/request_observer.hpp"
#include "loop_runner.hpp"
#include "scenario/yaml/loader.hpp"
#include "test_server.hpp"

namespace loadgen::scenario {
namespace {

Scenario load_ok(std::string_view text, const std::string& path = "t.yaml") {
  auto r = yaml::load_text(text, path, FileSettings{});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : Scenario{};
}

TEST(YamlModel, ClassesTasksAndSettings) {
  const Scenario sc = load_ok(R"(
name: shop
users_flag: vus
users:
  - name: Browser
    weight: 3
    wait_time: constant_pacing(2)
    host: http://127.0.0.1:8080/
    tasks:
      - name: home
        weight: 5
        tags: [web, fast]
        steps: [{get: /}]
      - steps: [{get: /b}]
  - name: Admin
    fixed_count: 2
    sequential: true
    tasks:
      - name: only
        steps: [{get: /admin}]
)");
  EXPECT_EQ(sc.name, "shop");
  EXPECT_EQ(sc.users_flag, "vus");
  EXPECT_TRUE(sc.uses_flags);
  EXPECT_TRUE(sc.needs_host);  // Admin has no host
  ASSERT_EQ(sc.user_classes.size(), 2u);
  const UserClass& b = sc.user_classes[0];
  EXPECT_EQ(b.name, "Browser");
  EXPECT_EQ(b.weight, 3u);
  EXPECT_EQ(b.wait_time.kind, WaitTime::Kind::kConstantPacing);
  EXPECT_EQ(b.wait_time.a, 2);
  EXPECT_EQ(b.host, "http://127.0.0.1:8080");
  ASSERT_EQ(b.tasks.size(), 2u);
  EXPECT_EQ(b.tasks[0].name, "home");
  EXPECT_EQ(b.tasks[0].weight, 5u);
  EXPECT_EQ(b.tasks[0].tags, (std::vector<std::string>{"web", "fast"}));
  EXPECT_TRUE(b.tasks[0].fn);
  EXPECT_EQ(b.tasks[1].name, "task2");
  EXPECT_EQ(b.tasks[1].weight, 1u);
  const UserClass& a = sc.user_classes[1];
  EXPECT_EQ(a.fixed_count, 2u);
  EXPECT_TRUE(a.sequential);
  EXPECT_EQ(a.wait_time.kind, WaitTime::Kind::kBetween);  // default between(1, 10)
  EXPECT_TRUE(a.make);
}

TEST(YamlModel, NestedTaskSets) {
  const Scenario sc = load_ok(R"(
users:
  - name: U
    tasks:
      - name: outer
        weight: 2
        tags: [set]
        sequential: true
        wait_time: constant(0.5)
        on_start: [{log: in}]
        on_stop: [{log: out}]
        tasks:
          - name: a
            weight: 3
            steps: [{get: /a}]
          - name: inner
            tasks:
              - name: b
                steps: [{get: /b}, {interrupt: {reschedule: false}}]
)");
  const TaskDef& outer = sc.user_classes.at(0).tasks.at(0);
  ASSERT_TRUE(outer.set);
  EXPECT_FALSE(outer.fn);
  EXPECT_EQ(outer.weight, 2u);
  EXPECT_EQ(outer.tags, std::vector<std::string>{"set"});
  EXPECT_TRUE(outer.set->sequential);
  ASSERT_TRUE(outer.set->wait_time.has_value());
  EXPECT_EQ(outer.set->wait_time->a, 0.5);
  EXPECT_TRUE(outer.set->on_start);
  EXPECT_TRUE(outer.set->on_stop);
  ASSERT_EQ(outer.set->tasks.size(), 2u);
  EXPECT_EQ(outer.set->tasks[0].weight, 3u);
  ASSERT_TRUE(outer.set->tasks[1].set);
  EXPECT_FALSE(outer.set->tasks[1].set->sequential);
  EXPECT_FALSE(outer.set->tasks[1].set->wait_time.has_value());
}

TEST(YamlModel, LoadAndThresholds) {
  const Scenario sc = load_ok(R"(
users: [{name: U, tasks: [{steps: [{get: /}]}]}]
load:
  stages:
    - {duration: 30s, users: 10, spawn_rate: 5}
    - {duration: 1m, target: 10}
thresholds:
  - "p95<300ms"
  - {threshold: "GET /:failure_ratio<0.01", abort_on_fail: true}
)");
  ASSERT_EQ(sc.load.stages.size(), 2u);
  EXPECT_EQ(sc.load.stages[0].duration_s, 30);
  EXPECT_EQ(sc.load.stages[0].target, 10);
  EXPECT_EQ(sc.load.stages[0].spawn_rate, 5.0);
  EXPECT_EQ(sc.load.stages[0].origin, "t.yaml:5:7");
  EXPECT_EQ(sc.load.stages[1].duration_s, 60);
  EXPECT_FALSE(sc.load.stages[1].spawn_rate.has_value());
  ASSERT_EQ(sc.thresholds.size(), 2u);
  EXPECT_EQ(sc.thresholds[0].expression, "p95<300ms");
  EXPECT_FALSE(sc.thresholds[0].abort_on_fail);
  EXPECT_EQ(sc.thresholds[0].origin, "t.yaml:8:5");
  EXPECT_EQ(sc.thresholds[1].expression, "GET /:failure_ratio<0.01");
  EXPECT_TRUE(sc.thresholds[1].abort_on_fail);
  EXPECT_EQ(sc.thresholds[1].origin, "t.yaml:9:17");
  EXPECT_FALSE(sc.uses_flags);
}

TEST(YamlModel, ArrivalRate) {
  const Scenario a = load_ok(R"(
users: [{name: U, tasks: [{steps: [{get: /}]}]}]
load: {arrival_rate: 600/m, max_users: 50}
)");
  EXPECT_EQ(a.load.arrival_rate, 10.0);
  EXPECT_EQ(a.load.max_users, 50);
  const Scenario b = load_ok(R"(
users: [{name: U, tasks: [{steps: [{get: /}]}]}]
load:
  arrival_stages: [{duration: 10s, rate: 20}, {duration: 5s, target: 0}]
)");
  ASSERT_EQ(b.load.arrival_stages.size(), 2u);
  EXPECT_EQ(b.load.arrival_stages[0].target, 20);
  EXPECT_EQ(b.load.arrival_stages[1].duration_s, 5);
}

TEST(YamlModel, FlagStepsSetUsesFlags) {
  const Scenario sc = load_ok(R"(
users: [{name: U, tasks: [{steps: [{flag: f, type: bool, default: true, into: on}]}]}]
)");
  EXPECT_TRUE(sc.uses_flags);
  EXPECT_TRUE(sc.users_flag.empty());
}

TEST(YamlModel, TheExamplesLoad) {
  for (const char* f : {"astronomy-shop.yaml", "bench-get.yaml"}) {
    auto r = yaml::load_file(std::string(LOADGEN_EXAMPLES_DIR) + "/" + f, FileSettings{});
    ASSERT_TRUE(r.ok()) << f << ": " << r.error().message;
  }
  auto shop = yaml::load_file(std::string(LOADGEN_EXAMPLES_DIR) + "/astronomy-shop.yaml", {});
  const UserClass& cls = shop->user_classes.at(0);
  EXPECT_EQ(cls.name, "WebsiteUser");
  std::vector<std::pair<std::string, unsigned>> tasks;
  for (const auto& t : cls.tasks) tasks.emplace_back(t.name, t.weight);
  EXPECT_EQ(tasks, (std::vector<std::pair<std::string, unsigned>>{{"index", 1},
                                                                  {"browse_product", 10},
                                                                  {"get_recommendations", 3},
                                                                  {"get_ads", 3},
                                                                  {"view_cart", 3},
                                                                  {"add_to_cart", 2},
                                                                  {"checkout", 1},
                                                                  {"checkout_multi", 1},
                                                                  {"flood_home", 5}}));
  EXPECT_EQ(shop->users_flag, "loadGeneratorVUs");
  EXPECT_TRUE(shop->uses_flags);
}

// ---- what users do ----

class NoEvents final : public UserEvents, public client::RequestObserver {
 public:
  void on_request(const client::RequestRecord& r) override {
    if (!r.error.empty()) failures.push_back(std::string(r.name) + ": " + std::string(r.error));
  }
  std::vector<std::string> failures;
  void on_task_exception(const UserClass&, std::string_view task, std::string_view what) override {
    errors.push_back(std::string(task) + ": " + std::string(what));
  }
  std::vector<std::string> errors;
};

// Runs the first user class of `text` (one user) until it stops.
std::vector<testing::ReceivedRequest> run_yaml(std::string_view text, testing::TestServer& server,
                                               NoEvents& events,
                                               const std::string& path = "t.yaml") {
  Scenario sc = load_ok(text, path);
  if (sc.user_classes.empty()) return {};
  net::EventLoop loop;
  client::ClientConfig cfg;
  cfg.set_base(*http::parse_url(server.base_url()));
  UserClass& cls = sc.user_classes[0];
  cls.wait_time = WaitTime::constant(0);
  auto user = cls.make();
  user->attach(User::Runtime{&loop, &cfg, &events, &events, nullptr, &cls, 1, 42});
  EXPECT_TRUE(testing::run_on_loop(loop, [&] { return run_user(*user); })) << "user hung";
  return server.requests();
}

std::string request_line(const testing::ReceivedRequest& r) {
  return r.head.substr(0, r.head.find("\r\n"));
}

TEST(YamlRun, RequestsWithTemplatesQueryHeadersAndJson) {
  testing::TestServer server([](const testing::ReceivedRequest& r) {
    if (r.head.rfind("GET /login", 0) == 0)
      return testing::http_reply(200, R"({"token":"t-1","user":{"id":7}})",
                                 "Content-Type: application/json\r\nX-Session: s9\r\n");
    return testing::http_reply(200, "ok");
  });
  NoEvents events;
  const auto reqs = run_yaml(R"(
data:
  colors: [red]
variables:
  n: 5
  who: "u{{ user_id() }}"
users:
  - name: U
    tasks:
      - steps:
          - get: /login
            check:
              status: 200
              json: {user.id: 7, user.name: {exists: false}}
              header: {X-Session: s9, X-Nope: {exists: false}}
            extract:
              token: {json: token}
              sid: {header: X-Session}
          - post: "/items/{{ choice(colors) }}"
            query: {q: "a b&c", who: "{{ who }}"}
            headers: {Authorization: "Bearer {{ token }}"}
            json: {n: "{{ n }}", name: "{{ who }}", tag: "x-{{ sid }}", list: [1, "two", true]}
          - put: /form
            form: {a: "1 2", b: "{{ token }}"}
          - stop_user: true
)",
                             server, events);
  EXPECT_EQ(events.errors, std::vector<std::string>{});
  EXPECT_EQ(events.failures, std::vector<std::string>{});
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(request_line(reqs[1]), "POST /items/red?q=a%20b%26c&who=u1 HTTP/1.1");
  EXPECT_EQ(reqs[1].header("Authorization"), "Bearer t-1");
  EXPECT_EQ(reqs[1].header("Content-Type"), "application/json");
  EXPECT_EQ(reqs[1].body, R"({"n":5,"name":"u1","tag":"x-s9","list":[1,"two",true]})");
  EXPECT_EQ(request_line(reqs[2]), "PUT /form HTTP/1.1");
  EXPECT_EQ(reqs[2].header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(reqs[2].body, "a=1%202&b=t-1");
}

TEST(YamlRun, LoopsConditionalsCountersAndSets) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  NoEvents events;
  const auto reqs = run_yaml(R"(
users:
  - name: U
    on_start:
      - set: {mode: fast}
    tasks:
      - steps:
          - repeat: 3
            steps:
              - get: "/c/{{ counter(c) }}"
          - if: {var: mode, equals: fast}
            then: [{get: /fast}]
            else: [{get: /slow}]
          - if: {value: "{{ counter(c) }}", gt: 3}
            then: [{get: /big}]
          - if: {var: missing_later, empty: true}
            then: [{get: /empty}]
          - set: {missing_later: x}
          - stop_user: true
)",
                             server, events);
  std::vector<std::string> lines;
  for (const auto& r : reqs) lines.push_back(request_line(r));
  EXPECT_EQ(lines, (std::vector<std::string>{"GET /c/1 HTTP/1.1", "GET /c/2 HTTP/1.1",
                                             "GET /c/3 HTTP/1.1", "GET /fast HTTP/1.1",
                                             "GET /big HTTP/1.1", "GET /empty HTTP/1.1"}));
}

TEST(YamlRun, TaskSetsRunUntilInterrupted) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  NoEvents events;
  const auto reqs = run_yaml(R"(
users:
  - name: U
    sequential: true
    tasks:
      - name: set
        sequential: true
        wait_time: constant(0)
        on_start: [{get: /set-start}]
        on_stop: [{get: /set-stop}]
        tasks:
          - {name: a, weight: 2, steps: [{get: /a}]}
          - {name: b, steps: [{get: /b}, {interrupt: true}]}
      - name: after
        steps:
          - get: /after
          - if: {value: "{{ counter(rounds) }}", ge: 2}
            then: [{stop_user: true}]
)",
                             server, events);
  std::vector<std::string> lines;
  for (const auto& r : reqs) lines.push_back(request_line(r));
  const std::vector<std::string> round = {"GET /set-start HTTP/1.1", "GET /a HTTP/1.1",
                                          "GET /a HTTP/1.1",         "GET /b HTTP/1.1",
                                          "GET /set-stop HTTP/1.1",  "GET /after HTTP/1.1"};
  std::vector<std::string> expected = round;
  expected.insert(expected.end(), round.begin(), round.end());
  EXPECT_EQ(lines, expected);
  EXPECT_EQ(events.errors, std::vector<std::string>{});
}

TEST(YamlRun, DataFilesRelativeToTheScenario) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("loadgen-yaml-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "d");
  std::ofstream(dir / "d" / "people.csv") << "name,age\n\"Ada, L\",36\n";
  std::ofstream(dir / "d" / "items.json") << R"([{"id":"x1","tags":["a"]}])";
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  NoEvents events;
  const auto reqs = run_yaml(R"(
data:
  people: {file: d/people.csv}
  items: {file: d/items.json}
users:
  - name: U
    tasks:
      - steps:
          - set: {p: "{{ choice(people) }}", i: "{{ choice(items) }}"}
          - post: /x
            query: {name: "{{ p.name }}"}
            json: {age: "{{ p.age }}", item: "{{ i }}", tags: "{{ i.tags }}"}
          - stop_user: true
)",
                             server, events, (dir / "s.yaml").string());
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(request_line(reqs[0]), "POST /x?name=Ada%2C%20L HTTP/1.1");
  EXPECT_EQ(reqs[0].body, R"({"age":"36","item":{"id":"x1","tags":["a"]},"tags":["a"]})");
  std::filesystem::remove_all(dir);
}

TEST(YamlRun, FailedChecksDoNotStopTheTask) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(500, "boom"); });
  NoEvents events;
  const auto reqs = run_yaml(R"(
users:
  - name: U
    tasks:
      - steps:
          - get: /a
            check: {status: 200, body_contains: ok}
          - get: /b
            extract: {v: {json: x, default: none}}
          - get: "/c/{{ v }}"
          - stop_user: true
)",
                             server, events);
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(request_line(reqs[2]), "GET /c/none HTTP/1.1");
  EXPECT_EQ(events.errors, std::vector<std::string>{});
  // The checks' message replaces the status's (Locust's response.failure(message)); the
  // extract's default keeps /b from failing on its own, its 500 still fails it.
  ASSERT_EQ(events.failures.size(), 3u);
  EXPECT_NE(events.failures[0].find("/a: "), std::string::npos) << events.failures[0];
  EXPECT_NE(events.failures[0].find("expected status 200, got 500"), std::string::npos)
      << events.failures[0];
}

}  // namespace
}  // namespace loadgen::scenario
