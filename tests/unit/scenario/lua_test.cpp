// Tests for scenario/lua: the loader's model of a file (classes, weights, task names and order,
// task sets, wait times, load and thresholds), load errors with file:line, and users running as
// coroutines: requests yield to the event loop (shape on the wire, response fields, JSON),
// per-user state on `self`, Locust's control flow, task sets, flags at their defaults, and Lua
// errors reported as task exceptions with their traceback.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "client/request_observer.hpp"
#include "loop_runner.hpp"
#include "scenario/file.hpp"
#include "test_server.hpp"

namespace loadgen::scenario {
namespace {

class TempScript {
 public:
  explicit TempScript(const std::string& text, const std::string& name = "scenario.lua") {
    dir_ = std::filesystem::temp_directory_path() /
           ("lua-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / name).string();
    std::ofstream(path_) << text;
  }
  ~TempScript() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }
  std::string dir() const { return dir_.string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
  std::string path_;
};

core::Result<Scenario> load(const TempScript& s) { return load_scenario_file(s.path(), {}); }

struct TaskError {
  std::string task, what;
};

class Events final : public UserEvents {
 public:
  void on_task_exception(const UserClass&, std::string_view task, std::string_view what) override {
    errors.push_back({std::string(task), std::string(what)});
    // A script that fails on every task never waits: stop it rather than spin forever.
    if (errors.size() >= 20 && user != nullptr) user->request_stop();
  }
  std::vector<TaskError> errors;
  User* user = nullptr;
};

class Requests final : public client::RequestObserver {
 public:
  void on_request(const client::RequestRecord& r) override {
    names.emplace_back(r.name);
    errors.emplace_back(r.error);
  }
  std::vector<std::string> names, errors;
};

// Runs one user of class `index` of the scenario until it stops.
class LuaRun {
 public:
  explicit LuaRun(const Scenario& sc, std::size_t index = 0) : cls_(sc.user_classes.at(index)) {}
  void run(const std::string& base_url = "http://127.0.0.1:9") {
    cfg.set_base(*http::parse_url(base_url));
    user = cls_.make();
    events.user = user.get();
    user->attach(User::Runtime{&loop, &cfg, &requests, &events, nullptr, &cls_, 1, 42});
    EXPECT_TRUE(testing::run_on_loop(loop, [&] { return run_user(*user); })) << "user hung";
  }
  net::EventLoop loop;
  client::ClientConfig cfg;
  Events events;
  Requests requests;
  std::unique_ptr<User> user;

 private:
  const UserClass& cls_;
};

TEST(LuaLoader, ClassesTasksAndWeights) {
  TempScript s(R"(
local function browse(self) end
local function cart(self) end
function global_task(self) end
local inner = taskset{tasks = {browse}, sequential = true, wait_time = constant(2)}

Shopper = user{
  weight = 3, fixed_count = 2, host = "http://127.0.0.1:1",
  wait_time = between(1, 10),
  tasks = {[cart] = 5, [browse] = 10, [global_task] = 1, [inner] = 2},
}
user{name = "Other", tasks = {task{cart, weight = 4, name = "my_cart", tags = {"x"}}},
     sequential = true, tags = {"all"}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  ASSERT_EQ(sc->user_classes.size(), 2u);
  const UserClass& a = sc->user_classes[0];
  EXPECT_EQ(a.name, "Shopper");
  EXPECT_EQ(a.weight, 3u);
  EXPECT_EQ(a.fixed_count, 2u);
  EXPECT_EQ(a.host, "http://127.0.0.1:1");
  EXPECT_EQ(a.wait_time.kind, WaitTime::Kind::kBetween);
  EXPECT_EQ(a.wait_time.b, 10);
  // Hash entries in the order their functions (sets) are defined in the file.
  ASSERT_EQ(a.tasks.size(), 4u);
  EXPECT_EQ(a.tasks[0].name, "browse");
  EXPECT_EQ(a.tasks[0].weight, 10u);
  EXPECT_EQ(a.tasks[1].name, "cart");
  EXPECT_EQ(a.tasks[1].weight, 5u);
  EXPECT_EQ(a.tasks[2].name, "global_task");
  EXPECT_EQ(a.tasks[3].name, "inner");
  ASSERT_TRUE(a.tasks[3].set);
  EXPECT_TRUE(a.tasks[3].set->sequential);
  ASSERT_TRUE(a.tasks[3].set->wait_time);
  EXPECT_EQ(a.tasks[3].set->wait_time->a, 2);
  ASSERT_EQ(a.tasks[3].set->tasks.size(), 1u);
  EXPECT_EQ(a.tasks[3].set->tasks[0].name, "browse");
  const UserClass& b = sc->user_classes[1];
  EXPECT_EQ(b.name, "Other");
  EXPECT_TRUE(b.sequential);
  EXPECT_EQ(b.wait_time.kind, WaitTime::Kind::kConstant);
  ASSERT_EQ(b.tasks.size(), 1u);
  EXPECT_EQ(b.tasks[0].name, "my_cart");
  EXPECT_EQ(b.tasks[0].weight, 4u);
  EXPECT_EQ(b.tasks[0].tags, (std::vector<std::string>{"x", "all"}));
  EXPECT_TRUE(sc->needs_host);  // Other has no host
  EXPECT_FALSE(sc->uses_flags);
}

// Two hash-table tasks on one line: every interpreter (the loader's, each worker's) orders
// them the same way, so a weight stays with its function.
TEST(LuaLoader, TasksDefinedOnOneLineKeepTheirWeightsInEveryInterpreter) {
  TempScript s(
      "local pad = {'x1', 'x2', 'x3'}\n"
      "user{sequential = true, tasks = {"
      "[function(s) local t = {a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8, "
      "i = 9, j = 10, k = 'k'}; s.client:get('/w1'); s:stop() end] = 1, "
      "[function(s) s.client:get('/w9'); s:stop() end] = 9, "
      "[function(s) s.client:get('/w5'); s:stop() end] = 5}}\n");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  ASSERT_EQ(sc->user_classes[0].tasks.size(), 3u);
  const std::string first = "/w" + std::to_string(sc->user_classes[0].tasks[0].weight);
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  for (int i = 0; i < 6; ++i) {
    std::thread([&] {  // a new thread: a new interpreter
      LuaRun run(*sc);
      run.run(server.base_url());
      for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
    })
        .join();
  }
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 6u);
  for (const auto& r : reqs) EXPECT_EQ(r.target, first);

  // Functions alike in line and code cannot be ordered: a load error, not a guess.
  TempScript same(
      "local t = {}\nfor i = 1, 2 do t[function(s) s.client:get('/' .. i) end] = i end\n"
      "user{tasks = t}\n");
  auto bad = load(same);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(same.path() + ":3: user: two task functions"),
            std::string::npos)
      << bad.error().message;
}

TEST(LuaLoader, LoadThresholdsAndUsersFlag) {
  TempScript s(R"(local function t(self) local v = flag("f", 1) end
user{tasks = {t}}
users_flag = "vus"
load = {
  stages = {{duration = "30s", users = 10, spawn_rate = 2}, {duration = 60, target = 0}},
  max_users = 50,
}
thresholds = {
  "p95<300ms",
  {"GET /api/cart:p99<1s", abort_on_fail = true},
}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  EXPECT_EQ(sc->users_flag, "vus");
  EXPECT_TRUE(sc->uses_flags);
  ASSERT_EQ(sc->load.stages.size(), 2u);
  EXPECT_EQ(sc->load.stages[0].duration_s, 30);
  EXPECT_EQ(sc->load.stages[0].target, 10);
  EXPECT_EQ(sc->load.stages[0].spawn_rate, 2);
  EXPECT_EQ(sc->load.stages[1].duration_s, 60);
  EXPECT_FALSE(sc->load.stages[1].spawn_rate);
  EXPECT_EQ(sc->load.stages[0].origin, s.path() + ":4");
  EXPECT_EQ(sc->load.max_users, 50);
  ASSERT_EQ(sc->thresholds.size(), 2u);
  EXPECT_EQ(sc->thresholds[0].expression, "p95<300ms");
  EXPECT_EQ(sc->thresholds[0].origin, s.path() + ":9");
  EXPECT_FALSE(sc->thresholds[0].abort_on_fail);
  EXPECT_EQ(sc->thresholds[1].expression, "GET /api/cart:p99<1s");
  EXPECT_TRUE(sc->thresholds[1].abort_on_fail);
  EXPECT_EQ(sc->thresholds[1].origin, s.path() + ":10");
}

TEST(LuaLoader, ErrorsNameFileAndLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"user{tasks = {function() end}}\nlocal = 1\n", ":2:"},
      {"local function t() end\nuser{tasks = {[t] = -1}}\n", ":2: user: weight"},
      {"local function t() end\nuser{\n tasks = {t},\n wait_time = between(3, 1)}\n", ":4:"},
      {"local function t() end\nuser{tasks = {t}, wait_time = 5}\n", ":2: user: wait_time"},
      {"local x = 1\n", "no user classes"},
      {"user{tasks = {}}\n", ":1: user: tasks is empty"},
      {"user{tasks = {'index'}}\n", ":1: user: tasks[1] must be"},
      {"local function t() end\nuser{tasks = {t}, on_start = 1}\n", ":2: user: on_start"},
      {"error('boom')\n", ":1: boom"},
      {"local function t() end\nuser{tasks = {t}}\nload = {stages = {{users = 1}}}\n",
       "load.stages[1].duration"},
  };
  for (const auto& [text, expected] : cases) {
    TempScript s(text);
    auto sc = load(s);
    ASSERT_FALSE(sc) << text;
    EXPECT_NE(sc.error().message.find(s.path()), std::string::npos) << sc.error().message;
    EXPECT_NE(sc.error().message.find(expected), std::string::npos)
        << "expected '" << expected << "' in: " << sc.error().message;
  }
}

TEST(LuaUser, RequestsYieldToTheLoopAndSeeTheirResponses) {
  testing::TestServer server([](const testing::ReceivedRequest& r) {
    if (r.target == "/json") {
      return testing::http_reply(200, R"({"id":"P1","tags":["a","b"],"n":3})",
                                 "Content-Type: application/json\r\nX-Trace: t1\r\n");
    }
    return testing::http_reply(r.target == "/missing" ? 404 : 200, "body:" + r.body);
  });
  TempScript s(R"(
local function t(self)
  local r = self.client:get("/json")
  assert(r.status == 200 and r.ok, "status")
  local j = r:json()
  assert(j.id == "P1" and j.tags[2] == "b" and j.n == 3, "json")
  assert(r.headers["x-trace"] == "t1" and r:header("X-TRACE") == "t1", "headers")
  local p = self.client:post("/p", {json = {b = {1, 2}, a = "x"}, name = "posting",
                                    headers = {["X-Custom"] = "yes"}})
  assert(p.body == 'body:{"a":"x","b":[1,2]}', p.body)
  self.client.get("/q", {params = {z = "1 2", a = "&"}})  -- Locust's spelling works too
  self.client:put("/form", {data = {k = "v"}})
  local m = self.client:get("/missing")
  assert(m.status == 404 and not m.ok, "404")
  self.count = (self.count or 0) + 1
  if self.count == 2 then self:stop() end
end
user{tasks = {t}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run(server.base_url());
  for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 10u);
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].header("content-type"), "application/json");
  EXPECT_EQ(reqs[1].header("x-custom"), "yes");
  EXPECT_EQ(reqs[2].target, "/q?a=%26&z=1%202");
  EXPECT_EQ(reqs[3].method, "PUT");
  EXPECT_EQ(reqs[3].body, "k=v");
  EXPECT_EQ(reqs[3].header("content-type"), "application/x-www-form-urlencoded");
  ASSERT_GE(run.requests.names.size(), 2u);
  EXPECT_EQ(run.requests.names[0], "/json");
  EXPECT_EQ(run.requests.names[1], "posting");
}

TEST(LuaUser, CatchResponseFailureMarksTheRequestFailed) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "nope"); });
  TempScript s(R"(
local function t(self)
  local r = self.client:get("/c", {catch_response = true})
  if r.body ~= "yes" then r:failure("wanted yes, got " .. r.body) end
  self:stop()
end
user{tasks = {t}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run(server.base_url());
  ASSERT_EQ(run.requests.errors.size(), 1u);
  EXPECT_NE(run.requests.errors[0].find("wanted yes, got nope"), std::string::npos)
      << run.requests.errors[0];
}

TEST(LuaUser, CatchResponseIsRecordedAtItsVerdict) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "ok"); });
  TempScript s(R"(
local function t(self)
  local r = self.client:get("/c", {catch_response = true})
  r:failure("no")
  r:success()  -- too late: recorded at the first verdict
  self.client:get("/after")
  self:stop()
end
user{tasks = {t}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run(server.base_url());
  for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
  EXPECT_EQ(run.requests.names, (std::vector<std::string>{"/c", "/after"}));
  ASSERT_EQ(run.requests.errors.size(), 2u);
  EXPECT_EQ(run.requests.errors[0], "check_failed: no");
}

// A task that loops keeps only its last responses; a response table is refused to another
// user (here the next user of the same interpreter, whose first task would alias it).
TEST(LuaUser, ResponsesAreBoundedPerTaskAndTiedToTheirUser) {
  testing::TestServer server(
      [](const testing::ReceivedRequest& r) { return testing::http_reply(200, r.target); });
  TempScript s(R"(
local function t(self)
  if shared then
    self.client:get("/second")
    local ok, err = pcall(function() return shared.body end)
    assert(not ok and err:find("another user"), "shared: " .. tostring(err))
    assert(shared.status == 200, "status stays")
    self:stop()
  end
  local rs = {}
  for i = 1, 150 do rs[i] = self.client:get("/" .. i) end
  assert(rs[150].body == "/150" and rs[51].body == "/51", "recent")
  local ok, err = pcall(function() return rs[50].body end)
  assert(not ok and err:find("last 100"), "released: " .. tostring(err))
  shared = rs[1]
  self:stop()
end
user{tasks = {t}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  for (int i = 0; i < 2; ++i) {
    LuaRun run(*sc);
    run.run(server.base_url());
    for (const auto& e : run.events.errors) ADD_FAILURE() << i << " " << e.task << ": " << e.what;
  }
}

// The file's text does not show a body read (a computed key, headers only): bodies are dropped,
// and reading one anyway is an error saying how to keep it; keep_body = true keeps one.
TEST(LuaUser, ReadingABodyThatWasNotKeptIsAnError) {
  testing::TestServer server(
      [](const testing::ReceivedRequest&) { return testing::http_reply(200, "the body"); });
  TempScript s(R"(
local B = "bo" .. "dy"
local function t(self)
  local r = self.client:get("/a")
  assert(r.headers["content-length"] == "8", "headers without the body")
  local ok, err = pcall(function() return r[B] end)
  assert(not ok and err:find("keep_body = true"), "not kept: " .. tostring(err))
  local k = self.client:get("/b", {keep_body = true})
  assert(k[B] == "the body", "kept")
  local c = self.client:get("/c", {catch_response = true})
  assert(c[B] == "the body", "catch_response keeps its own")
  self:stop()
end
user{tasks = {t}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run(server.base_url());
  for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;

  TempScript all(R"(keep_bodies = true
user{tasks = {function(self)
  local r = self.client:get("/a")
  assert(r["te" .. "xt"] == "the body", "keep_bodies")
  self:stop()
end}}
)");
  auto sc2 = load(all);
  ASSERT_TRUE(sc2) << sc2.error().message;
  LuaRun run2(*sc2);
  run2.run(server.base_url());
  for (const auto& e : run2.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
}

TEST(LuaUser, ErrorsAreTaskExceptionsWithTheTraceback) {
  TempScript s(R"(local function deep(x)
  return x.y.z
end
local function bad(self)
  self.n = (self.n or 0) + 1
  if self.n > 2 then self:stop() end
  deep({})
end
local function in_span(self)
  span("s", {k = 1}, function() error("span error") end)
end
user{tasks = {bad}, on_stop = function(self) in_span(self) end}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run();
  ASSERT_EQ(run.events.errors.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(run.events.errors[static_cast<std::size_t>(i)].task, "bad");
    const std::string& what = run.events.errors[static_cast<std::size_t>(i)].what;
    EXPECT_EQ(what.rfind(s.path() + ":2: attempt to index field 'y' (a nil value)", 0), 0u) << what;
    EXPECT_NE(what.find("stack traceback:"), std::string::npos) << what;
    EXPECT_NE(what.find(s.path() + ":7:"), std::string::npos) << what;
  }
  EXPECT_EQ(run.events.errors[2].task, "on_stop");
  EXPECT_NE(run.events.errors[2].what.find(":10: span error"), std::string::npos)
      << run.events.errors[2].what;
  EXPECT_NE(run.events.errors[2].what.find("stack traceback:"), std::string::npos);
}

TEST(LuaUser, SelfStateControlFlowSleepAndFlagDefaults) {
  TempScript s(R"(
local log_lines = 0
local function counting(self)
  self.n = self.n + 1
  if self.n == 1 then reschedule() end
  sleep(0.001)
  assert(flag("some.flag", 7) == 7 and flag("on", true) == true, "flag defaults")
  baggage.set("k", "v")
  log.info("task %d", self.n)
  local v = span("work", {a = "b"}, function(sp) sp:set("n", self.n); return 42 end)
  assert(v == 42, "span returns")
  if self.n == 4 then self:stop() end
end
user{
  on_start = function(self) self.n = 0 end,
  on_stop = function(self) assert(self.n == 4) end,
  tasks = {counting},
}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run();
  for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
}

TEST(LuaUser, RequestsFromANestedCoroutineAreRefused) {
  TempScript s(R"(
local function t(self)
  local co = coroutine.wrap(function() self.client:get("/") end)
  self.n = (self.n or 0) + 1
  if self.n == 2 then self:stop() end
  co()
end
user{tasks = {t}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run();
  ASSERT_EQ(run.events.errors.size(), 1u);
  EXPECT_NE(run.events.errors[0].what.find("not from a coroutine the task created"),
            std::string::npos)
      << run.events.errors[0].what;
}

TEST(LuaUser, TaskSetsRunUntilInterrupted) {
  TempScript s(R"(
local trail = {}
local function a(self) trail[#trail + 1] = "a" end
local function b(self)
  trail[#trail + 1] = "b"
  self:interrupt()
end
local inner = taskset{tasks = {a, a, b}, sequential = true,
                      on_start = function(self) trail[#trail + 1] = "start" end,
                      on_stop = function(self) trail[#trail + 1] = "stop" end}
local function outer(self)
  trail[#trail + 1] = "outer"
  if #trail > 10 then
    assert(table.concat(trail, ",") == "start,a,a,b,stop,outer,start,a,a,b,stop,outer",
           table.concat(trail, ","))
    self:stop()
  end
end
user{tasks = {inner, outer}, sequential = true}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run();
  for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
}

TEST(LuaUser, EachThreadHasItsOwnInterpreter) {
  TempScript s(R"(
local loads = (loads or 0) + 1
counter = 0
local function t(self)
  counter = counter + 1
  self:stop()
end
user{tasks = {t}, on_stop = function(self) assert(counter == 1, "shared state") end}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  // Two users on two threads: each sees counter == 1 (its own interpreter's global).
  std::vector<std::thread> threads;
  std::vector<std::size_t> errors(2);
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      LuaRun run(*sc);
      run.run();
      errors[static_cast<std::size_t>(i)] = run.events.errors.size();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors[0], 0u);
  EXPECT_EQ(errors[1], 0u);
}

TEST(LuaUser, AFileThatFailsInAWorkerRunsOncePerThread) {
  TempScript s(R"lua(local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
local f = io.open(dir .. "runs.txt", "a")
f:write("x\n")
f:close()
local n = 0
for _ in io.lines(dir .. "runs.txt") do n = n + 1 end
if n > 1 then error("not at load time") end
user{tasks = {function(s) end}}
)lua");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  std::thread([&] {
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(sc->user_classes[0].make());
  }).join();
  std::ifstream runs(s.dir() + "/runs.txt");
  int lines = 0;
  for (std::string l; std::getline(runs, l);) ++lines;
  EXPECT_EQ(lines, 2);  // the loader, then the worker thread once
}

TEST(LuaUser, AFailingTaskWithoutWaitsStillLetsTheLoopStopIt) {
  TempScript s("local function t(self) error('always') end\nuser{tasks = {t}}\n");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  const UserClass& cls = sc->user_classes[0];
  net::EventLoop loop;
  client::ClientConfig cfg;
  Events events;  // no user: never stops it itself
  auto user = cls.make();
  user->attach(User::Runtime{&loop, &cfg, nullptr, &events, nullptr, &cls, 1, 42});
  loop.post([&] { user->request_stop(); });
  EXPECT_TRUE(testing::run_on_loop(loop, [&] { return run_user(*user); })) << "user hung";
  EXPECT_GE(events.errors.size(), 1u);
}

TEST(LuaUser, JsonEncodingIsDeterministic) {
  TempScript s(R"(
local function t(self)
  local e = json.encode
  assert(e({}) == "{}", e({}))
  assert(e({1, "two", true}) == '[1,"two",true]', e({1, "two", true}))
  local nested = e({b = 1.5, a = {c = "\n"}})
  assert(nested == '{"a":{"c":"\\n"},"b":1.5}', nested)
  assert(not pcall(e, {1, 2, x = 3}), "mixed table")
  assert(not pcall(e, {f = print}), "function value")
  local cyc = {}
  cyc.self = cyc
  assert(not pcall(e, cyc), "cycle")
  local d = json.decode('{"a":[1,2,{"b":null}],"s":"\\u00e9"}')
  assert(d.a[2] == 2 and d.a[3].b == nil and d.s == "\195\169", "decode")
  assert(not pcall(json.decode, "{bad"), "bad json")
  self:stop()
end
user{tasks = {t}}
)");
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run();
  for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
}

TEST(LuaUser, DataJsonReadsRelativeToTheScript) {
  TempScript s(R"(
local people = data.json("people.json")
local function t(self)
  assert(people[2].name == "b", "data")
  assert(json.decode(json.encode({x = {1, 2}})).x[2] == 2, "json roundtrip")
  self:stop()
end
user{tasks = {t}}
)");
  std::ofstream(s.dir() + "/people.json") << R"([{"name":"a"},{"name":"b"}])";
  auto sc = load(s);
  ASSERT_TRUE(sc) << sc.error().message;
  LuaRun run(*sc);
  run.run();
  for (const auto& e : run.events.errors) ADD_FAILURE() << e.task << ": " << e.what;
}

}  // namespace
}  // namespace loadgen::scenario
