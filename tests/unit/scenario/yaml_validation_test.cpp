// Tests for scenario/yaml's validation: every problem the loader reports, each as
// "file:line:col: what", and all of them at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "scenario/yaml/loader.hpp"

namespace loadgen::scenario {
namespace {

struct Case {
  std::string yaml;
  std::string message;  // a substring of the one error expected
  std::string where;    // "line:col", or empty: any
  int lines = 1;        // problems reported (an unknown key may leave a required one missing)
};

std::string step(const std::string& s) {
  return "users: [{name: U, tasks: [{steps: [" + s + "]}]}]\n";
}
std::string task(const std::string& t) { return "users: [{name: U, tasks: [" + t + "]}]\n"; }
std::string cls(const std::string& c) { return "users: [{name: U, " + c + "}]\n"; }
std::string top(const std::string& t) {
  return "users: [{name: U, tasks: [{steps: [{get: /}]}]}]\n" + t + "\n";
}

class YamlValidation : public ::testing::TestWithParam<Case> {};

TEST_P(YamlValidation, ReportsTheProblemWithFileLineCol) {
  const Case& c = GetParam();
  auto r = yaml::load_text(c.yaml, "t.yaml", FileSettings{});
  ASSERT_FALSE(r.ok()) << c.yaml;
  const std::string& m = r.error().message;
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, c.lines) << m;
  EXPECT_NE(m.find(c.message), std::string::npos) << m;
  EXPECT_TRUE(std::regex_search(m, std::regex(R"(^t\.yaml:\d+:\d+: )"))) << m;
  if (!c.where.empty()) {
    EXPECT_EQ(m.rfind("t.yaml:" + c.where + ": ", 0), 0u) << m;
  }
}

const Case kCases[] = {
    // document
    {"- a\n", "a scenario file is a mapping", "1:1"},
    {"name: x\n", "no users:", ""},
    {"users: []\n", "users must be a non-empty list", "1:8"},
    {"users: [{name: U, tasks: [{steps: [{get: /}]}]}]\nuser: 1\n",
     "unknown key 'user' in the scenario (did you mean 'users'?)", "2:1"},
    {top("zzzzzz: 1"), "unknown key 'zzzzzz' in the scenario (known:", "2:1"},
    {"users: [\n  {name: a,\n", "", ""},  // YAML syntax error
    {top("name: [a]"), "name must be a string", "2:7"},
    {top("users_flag: ''"), "users_flag must name a flag", ""},
    {"users: [{name: U, tasks: [{steps: [{get: /}]}]}, {name: U, tasks: [{steps: [{get: /}]}]}]\n",
     "two user classes are named U", ""},
    {top("variables: [a]"), "variables must be a mapping", ""},
    {top("define: [a]"), "define must be a mapping", ""},
    // user classes
    {"users: [5]\n", "user class must be a mapping", "1:9"},
    {cls("wait: 1, tasks: [{steps: [{get: /}]}]"), "unknown key 'wait' in user class", ""},
    {cls("weight: 0, tasks: [{steps: [{get: /}]}]"),
     "weight must be a whole number from 1 to 1000000", ""},
    {cls("weight: 1000001, tasks: [{steps: [{get: /}]}]"),
     "weight must be a whole number from 1 to 1000000", ""},
    {cls("fixed_count: -1, tasks: [{steps: [{get: /}]}]"), "fixed_count must be a whole number",
     ""},
    {cls("wait_time: soon, tasks: [{steps: [{get: /}]}]"), "wait_time", ""},
    {cls("host: example.com, tasks: [{steps: [{get: /}]}]"), "must be an absolute URL", ""},
    {cls("sequential: maybe, tasks: [{steps: [{get: /}]}]"), "sequential must be true or false",
     ""},
    {cls("variables: {a: [1]}, tasks: [{steps: [{get: /}]}]"), "must be a string (a template)", ""},
    {cls("name: U"), "user class U has no tasks", ""},
    {cls("tasks: []"), "tasks must be a non-empty list", ""},
    // tasks
    {task("{name: t}"), "task t needs steps: (a task) or tasks:", ""},
    {task("{steps: [{get: /}], tasks: [{steps: [{get: /}]}]}"), "exactly one", ""},
    {task("{steps: [{get: /}], sequential: true}"), "sequential belongs to a task set", ""},
    {task("{steps: [{get: /}], tags: web}"), "tags must be a list", ""},
    {task("{steps: [{get: /}], weight: x}"), "weight must be a whole number from 1 to 1000000", ""},
    {task("{stesp: [{get: /}]}"), "unknown key 'stesp' in task (did you mean 'steps'?)", "", 2},
    {task("{steps: [{get: /}], wieght: 2}"),
     "unknown key 'wieght' in task (did you mean 'weight'?)", ""},
    {task("{steps: 5}"), "steps must be a list of steps", ""},
    // steps
    {step("5"), "a step must be a mapping", ""},
    {step("{get: /, post: /}"), "a step has one action", ""},
    {step("{gett: /}"), "a step needs an action", ""},
    {step("{pots: /}"), "did you mean 'post'?", ""},
    {step("{request: {method: FETCH, url: /}}"), "unknown method 'FETCH'", ""},
    {step("{request: {method: GET}}"), "request needs a url", ""},
    {step("{request: {url: /, nmae: x}}"), "unknown key 'nmae' in request (did you mean 'name'?)",
     ""},
    {step("{get: {name: x}}"), "get needs a url", ""},
    {step("{get: /, url: /x}"), "give the url as the method's value", ""},
    {step("{get: /, nmae: x}"), "unknown key 'nmae' in a get step (did you mean 'name'?)", ""},
    {step("{get: ''}"), "url must not be empty", ""},
    {step("{get: /, query: [a]}"), "query takes a mapping", ""},
    {step("{get: /, headers: [a]}"), "headers takes a mapping", ""},
    {step("{get: /, headers: {'a b': x}}"), "is not a valid header name", ""},
    {step("{post: /, form: [a]}"), "form takes a mapping", ""},
    {step("{post: /, json: {a: 1}, body: x}"), "give one of json, form and body", ""},
    {step("{get: /, check: {stat: 200}}"), "unknown key 'stat' in check (did you mean 'status'?)",
     ""},
    {step("{get: /, check: {status: 99}}"), "not an HTTP status code", ""},
    {step("{get: /, check: {status: ok}}"), "status must be a whole number", ""},
    {step("{get: /, check: {header: [a]}}"), "check header takes a mapping", ""},
    {step("{get: /, check: {header: {A: {equal: x}}}}"), "unknown key 'equal' in header check", ""},
    {step("{get: /, check: {json: [a]}}"), "check json takes a mapping", ""},
    {step("{get: /, check: {json: {'a..b': 1}}}"), "is not a JSON path", ""},
    {step("{get: /, check: {json: {a: {exist: true}}}}"), "unknown key 'exist' in json check", ""},
    {step("{get: /, extract: [a]}"), "extract takes a mapping", ""},
    {step("{get: /, extract: {v: {json: a, header: b}}}"), "needs exactly one of json", ""},
    {step("{get: /, extract: {v: {jsn: a}}}"), "unknown key 'jsn' in extract v", "", 2},
    {step("{get: /, extract: {v: {json: a, defualt: x}}}"), "did you mean 'default'?", ""},
    {step("{get: /, allow_redirects: 2}"), "allow_redirects must be true or false", ""},
    {step("{set: [a]}"), "set takes a mapping", ""},
    {step("{set: {a: 1}, x: 2}"), "unknown key 'x' in set step", ""},
    {step("{span: ''}"), "span needs a name", ""},
    {step("{span: s, attributes: [a]}"), "attributes takes a mapping", ""},
    {step("{task_span: s, steps: 5}"), "task_span steps must be a list of steps", ""},
    {step("{attributes: 5}"), "attributes takes a mapping", ""},
    {step("{log: [a]}"), "log must be a string (a template)", ""},
    {step("{log: x, level: loud}"), "unknown log level 'loud'", ""},
    {step("{baggage: x}"), "baggage takes a mapping", ""},
    {step("{flag: f, type: float}"), "unknown flag type 'float'", ""},
    {step("{flag: f, default: x}"), "default must be an integer", ""},
    {step("{flag: f, type: bool, default: 3}"), "default must be true or false", ""},
    {step("{flag: [f]}"), "flag key must be a string", ""},
    {step("{repeat: -1, steps: [{get: /}]}"), "repeat must not be negative", ""},
    {step("{repeat: x, steps: [{get: /}]}"), "repeat must be an integer", ""},
    {step("{repeat: 2}"), "repeat needs steps", ""},
    {step("{if: {value: x, equals: 1}}"), "if needs then: steps", ""},
    {step("{if: {equals: 1}, then: []}"), "if needs one of var: NAME or value: TEMPLATE", ""},
    {step("{if: {value: x, equals: 1, gt: 2}, then: []}"), "exactly one comparison", ""},
    {step("{if: {var: nope, equals: 1}, then: []}"), "unknown variable 'nope'", ""},
    {step("{if: {value: x, empty: maybe}, then: []}"), "empty must be true or false", ""},
    {step("{sleep: soon}"), "is not a valid duration", ""},
    {step("{sleep: 25h}"), "sleep must lie between 0 and one day", ""},
    {step("{stop_user: maybe}"), "stop_user must be true or false", ""},
    {step("{interrupt: {reschedul: true}}"), "unknown key 'reschedul' in interrupt", ""},
    {step("{call: nope}"), "call: no define named 'nope'", ""},
    {"define: {gate: [{get: /}]}\n" + step("{call: gaet}"), "did you mean 'gate'?", ""},
    {"define: {a: [{call: b}], b: [{call: a}]}\n" + step("{call: a}"), "calls itself", ""},
    // templates
    {step("{get: '/{{ nope }}'}"), "unknown variable 'nope'", ""},
    {"variables: {product: x}\n" + step("{get: '/{{ prodct }}'}"),
     "unknown variable 'prodct' (did you mean 'product'?)", ""},
    {"data: {ids: [a]}\n" + step("{get: '/{{ ids }}'}"), "'ids' is a data set: use choice(ids)",
     ""},
    {step("{get: '/{{ now() }}'}"), "unknown function 'now'", ""},
    {step("{get: '/{{ uuid(1) }}'}"), "uuid() takes no arguments", ""},
    {step("{get: '/{{ random_int(1) }}'}"), "random_int(a, b) takes two integers", ""},
    {step("{get: '/{{ random_int(5, 1) }}'}"), "the lower bound is above the upper", ""},
    {step("{get: '/{{ choice(nope) }}'}"), "no data set named 'nope'", ""},
    {step("{get: '/{{ counter(1x) }}'}"), "counter(name) takes one name", ""},
    {step("{get: '/{{ }}'}"), "empty expression", ""},
    {step("{get: '/{{ a'}"), "has no closing '}}'", ""},
    {"variables: {p: x}\n" + step("{get: '/{{ p.a.b }}'}"), "only one field level", ""},
    {step("{get: '/{{ 1a }}'}"), "is not a variable name or function call", ""},
    // data
    {top("data: [a]"), "data must be a mapping", ""},
    {top("data: {a: 5}"), "data a must be a list or {file: path}", ""},
    {top("data: {a: []}"), "data a is empty", ""},
    {top("data: {a: [[1]]}"), "a data list holds scalars or mappings", ""},
    {top("data: {a: [{x: [1]}]}"), "inline records hold scalars only", ""},
    {top("data: {a: [{x: 1}, 2]}"), "mixes mappings with scalars", ""},
    {top("data: {a: {format: csv}}"), "data a needs file:", ""},
    {top("data: {a: {file: x.txt}}"), "format must be csv or json", ""},
    {top("data: {a: {file: /nonexistent/x.csv}}"), "cannot read", ""},
    {top("data: {a: {file: x, fmt: csv}}"), "unknown key 'fmt' in data a", "", 2},
    // load
    {top("load: 5"), "load must be a mapping", "2:7"},
    {top("load: {stages: 5}"), "stages must be a list", ""},
    {top("load: {stages: [{users: 1}]}"), "a stage needs a duration", ""},
    {top("load: {stages: [{duration: 1x, users: 1}]}"), "is not a valid duration", ""},
    {top("load: {stages: [{duration: 0s, users: 1}]}"), "duration must be positive", ""},
    {top("load: {stages: [{duration: 1s}]}"), "a stage needs users (or target)", ""},
    {top("load: {stages: [{duration: 1s, users: 1, target: 2}]}"), "give users or target", ""},
    {top("load: {stages: [{duration: 1s, users: -1}]}"), "users must be a whole number", ""},
    {top("load: {stages: [{duration: 1s, users: 1, spawn_rate: 0}]}"),
     "spawn_rate must be positive", ""},
    {top("load: {stages: [{duration: 1s, users: 1, spawn_rate: x}]}"),
     "spawn_rate must be a non-negative number", ""},
    {top("load: {stages: [{duration: 1s, user: 1}]}"), "did you mean 'users'?", "", 2},
    {top("load: {arrival_rate: fast}"), "arrival_rate must be a rate", ""},
    {top("load: {arrival_rate: 0}"), "arrival_rate must be positive", ""},
    {top("load: {arrival_rate: 1, max_users: 0}"), "max_users must be a whole number from 1 to",
     ""},
    {top("load: {max_users: 5}"), "max_users is the open model's pool", ""},
    {top("load: {arrival_rate: 1, arrival_stages: [{duration: 1s, rate: 2}]}"),
     "give arrival_rate or arrival_stages, not both", ""},
    {top("load: {arrival_stages: [{duration: 1s, rate: x}]}"), "rate must be a rate", ""},
    // thresholds
    {top("thresholds: p95<1s"), "thresholds must be a list", ""},
    {top("thresholds: [{abort_on_fail: true}]"), "a threshold needs threshold:", ""},
    {top("thresholds: ['']"), "a threshold must not be empty", ""},
    {top("thresholds: [{threshold: p95<1s, abort_on_fail: maybe}]"),
     "abort_on_fail must be true or false", ""},
    {top("thresholds: [{threshold: p95<1s, abort_on_fial: true}]"), "did you mean 'abort_on_fail'?",
     ""},
};

INSTANTIATE_TEST_SUITE_P(EveryError, YamlValidation, ::testing::ValuesIn(kCases));

TEST(YamlValidationAll, EveryProblemIsReportedAtOnce) {
  const std::string text = R"(users:
  - name: A
    wait_tme: constant(1)
    tasks:
      - name: t
        weight: 0
        steps:
          - get: "/x/{{ nope }}"
          - sleep: soon
load:
  stages: [{duration: 1x, users: 2}]
)";
  auto r = yaml::load_text(text, "dir/s.yaml", FileSettings{});
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_EQ(r.error().code, "bad_scenario");
  for (const char* where : {"dir/s.yaml:3:5: ", "dir/s.yaml:6:17: ", "dir/s.yaml:8:18: ",
                            "dir/s.yaml:9:20: ", "dir/s.yaml:11:23: "})
    EXPECT_NE(m.find(where), std::string::npos) << where << " in\n" << m;
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 4) << m;
}

TEST(YamlValidationAll, DataFileProblemsNameTheFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("loadgen-yaml-validation-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << "{\"a\": 1}";
  std::ofstream(dir / "mixed.json") << "[{\"a\": 1}, 2]";
  std::ofstream(dir / "ragged.csv") << "a,b\n1\n";
  std::ofstream(dir / "open.csv") << "a\n\"x\n";
  std::ofstream(dir / "empty.csv") << "";
  const std::string text = R"(data:
  a: {file: bad.json}
  b: {file: mixed.json}
  c: {file: ragged.csv}
  d: {file: open.csv}
  e: {file: empty.csv}
users: [{name: U, tasks: [{steps: [{get: /}]}]}]
)";
  auto r = yaml::load_text(text, (dir / "s.yaml").string(), FileSettings{});
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  for (const char* what :
       {"is not a JSON array", "mixes objects with other values",
        "row 2 has 1 fields, the header 2", "a quoted field is not closed", "has no header line"})
    EXPECT_NE(m.find(what), std::string::npos) << what << " in\n" << m;
  std::filesystem::remove_all(dir);
}

TEST(YamlValidationAll, RepetitionIsBounded) {
  // Nine levels of four calls (or aliases): 4^9 steps, refused instead of built.
  std::string defines = "define: {";
  for (char c = 'a'; c < 'i'; ++c) {
    const std::string next(1, static_cast<char>(c + 1));
    defines += std::string(1, c) + ": [{call: " + next + "}, {call: " + next + "}, {call: " + next +
               "}, {call: " + next + "}], ";
  }
  defines += "i: [{get: /}, {get: /}, {get: /}, {get: /}]}\n";
  auto r = yaml::load_text(defines + step("{call: a}"), "t.yaml", FileSettings{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expands to more than 50000"), std::string::npos)
      << r.error().message;
  std::string aliases = "define:\n  a: &a [{get: /}, {get: /}, {get: /}, {get: /}]\n";
  for (char c = 'b'; c < 'k'; ++c) {
    const std::string prev(1, static_cast<char>(c - 1));
    aliases += "  " + std::string(1, c) + ": &" + std::string(1, c) + " [*" + prev + ", *" + prev +
               ", *" + prev + ", *" + prev + "]\n";
  }
  auto a = yaml::load_text(aliases + step("{call: j}"), "t.yaml", FileSettings{});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("expands to more than 50000"), std::string::npos)
      << a.error().message;
}

TEST(YamlValidationAll, TaskSetsNestAtMost16Deep) {
  std::string t = "{steps: [{get: /}]}";
  for (int i = 0; i < 17; ++i) t = "{tasks: [" + t + "]}";
  auto r = yaml::load_text(task(t), "t.yaml", FileSettings{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("task sets nest deeper than 16"), std::string::npos);
}

}  // namespace
}  // namespace loadgen::scenario
