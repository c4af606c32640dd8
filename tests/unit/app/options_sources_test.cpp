// Tests for app/options' other sources: env vars and config files with Locust's names and
// syntax, and their precedence (command line > environment > --config > ./locust.conf > ~).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "app/options.hpp"
#include "app/options_help.hpp"
#include "options_test_fixture.hpp"

namespace loadgen::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Each env var, with a value different from the default, and the field it sets.
TEST_F(OptionsTest, EachEnvVar) {
  struct Case {
    const char* var;
    const char* value;
    std::function<bool(const Options&)> check;
  };
  const std::vector<Case> cases = {
      {"LOCUST_HOST", "http://h:1", [](const Options& o) { return o.host == "http://h:1"; }},
      {"LOCUST_USERS", "12", [](const Options& o) { return o.users == 12; }},
      {"LOCUST_SPAWN_RATE", "0.5", [](const Options& o) { return o.spawn_rate == 0.5; }},
      {"LOCUST_RUN_TIME", "2m", [](const Options& o) { return o.run_time == 120s; }},
      {"LOCUST_HEADLESS", "true", [](const Options& o) { return o.headless; }},
      {"LOCUST_AUTOSTART", "1", [](const Options& o) { return o.autostart; }},
      {"LOCUST_STOP_TIMEOUT", "10", [](const Options& o) { return o.stop_timeout == 10s; }},
      {"LOCUST_LOGLEVEL", "Error", [](const Options& o) { return o.loglevel == "ERROR"; }},
      {"LOCUST_LOGFILE", "x.log", [](const Options& o) { return o.logfile == "x.log"; }},
      {"LOCUST_CSV", "pre", [](const Options& o) { return o.csv_prefix == "pre"; }},
      {"LOCUST_PRINT_STATS", "yes", [](const Options& o) { return o.print_stats; }},
      {"LOCUST_ONLY_SUMMARY", "TRUE", [](const Options& o) { return o.only_summary; }},
      {"LOCUST_JSON", "true", [](const Options& o) { return o.json; }},
      {"LOCUST_JSON_FILE", "out.json", [](const Options& o) { return o.json_file == "out.json"; }},
      {"LOCUST_HTML", "r.html", [](const Options& o) { return o.html_file == "r.html"; }},
      {"LOCUST_EXIT_CODE_ON_ERROR", "0",
       [](const Options& o) { return o.exit_code_on_error == 0; }},
      {"LOCUST_WEB_HOST", "::1", [](const Options& o) { return o.web_host == "::1"; }},
      {"LOCUST_WEB_PORT", "8090", [](const Options& o) { return o.web_port == 8090; }},
      {"LOCUST_WEB_AUTH", "u:p", [](const Options& o) { return o.web_auth == "u:p"; }},
      {"LOCUST_AUTOQUIT", "5", [](const Options& o) { return o.autoquit == 5; }},
      {"LOCUST_RESET_STATS", "true", [](const Options& o) { return o.reset_stats; }},
      {"LOCUST_MODE_MASTER", "true", [](const Options& o) { return o.master; }},
      {"LOCUST_MASTER_BIND_HOST", "127.0.0.2",
       [](const Options& o) { return o.master_bind_host == "127.0.0.2"; }},
      {"LOCUST_MASTER_BIND_PORT", "6000",
       [](const Options& o) { return o.master_bind_port == 6000; }},
      {"LOCUST_EXPECT_WORKERS", "4", [](const Options& o) { return o.expect_workers == 4; }},
      {"LOCUST_EXPECT_WORKERS_MAX_WAIT", "30",
       [](const Options& o) { return o.expect_workers_max_wait == 30s; }},
      {"LOCUST_MODE_WORKER", "true", [](const Options& o) { return o.worker; }},
      {"LOCUST_MASTER_NODE_HOST", "master.example",
       [](const Options& o) { return o.master_host == "master.example"; }},
      {"LOCUST_MASTER_NODE_PORT", "6001", [](const Options& o) { return o.master_port == 6001; }},
      // Accepted and validated, nothing to set (a loadgen master always rebalances).
      {"LOCUST_ENABLE_REBALANCING", "true", [](const Options& o) { return !o.master; }},
      {"LOADGEN_THREADS", "2", [](const Options& o) { return o.threads == 2; }},
      {"LOADGEN_SCENARIO", "shop", [](const Options& o) { return o.scenario == "shop"; }},
      {"LOADGEN_PEOPLE", "p.json", [](const Options& o) { return o.people_file == "p.json"; }},
      {"LOADGEN_PATH", "/p",
       [](const Options& o) { return o.paths == std::vector<std::string>{"/p"}; }},
      {"LOADGEN_METHOD", "put", [](const Options& o) { return o.method == "PUT"; }},
      {"LOADGEN_BODY", "b", [](const Options& o) { return o.body == "b"; }},
      {"LOADGEN_HEADER", "X: y",
       [](const Options& o) { return o.headers == std::vector<std::string>{"X: y"}; }},
      {"LOADGEN_WAIT_TIME", "constant_pacing(2)",
       [](const Options& o) { return o.wait_time == "constant_pacing(2)"; }},
      {"LOADGEN_CONNECT_TIMEOUT", "2", [](const Options& o) { return o.connect_timeout == 2s; }},
      {"LOADGEN_TIMEOUT", "250ms", [](const Options& o) { return o.timeout == 250ms; }},
      {"LOADGEN_INSECURE", "yes", [](const Options& o) { return o.insecure; }},
      {"LOADGEN_MAX_REDIRECTS", "5", [](const Options& o) { return o.max_redirects == 5; }},
      {"LOADGEN_MAX_BODY_SIZE", "2MiB",
       [](const Options& o) { return o.max_body_size == 2u << 20; }},
      {"LOADGEN_SEED", "42", [](const Options& o) { return o.seed == 42; }},
      {"LOADGEN_FLUSH_TIMEOUT", "2s", [](const Options& o) { return o.flush_timeout == 2s; }},
      {"LOADGEN_LOOP_NAP", "40us", [](const Options& o) { return o.loop_nap == 40us; }},
      {"LOADGEN_PARK_AFTER", "2s", [](const Options& o) { return o.park_after == 2s; }},
      {"LOADGEN_CONNECTION_POOL", "7", [](const Options& o) { return o.connection_pool == 7; }},
      {"LOADGEN_TRACE_LINK", "http://j/{trace_id}",
       [](const Options& o) { return o.trace_link == "http://j/{trace_id}"; }},
      {"LOCUST_LOCUSTFILE", "s.yaml", [](const Options& o) { return o.locustfile == "s.yaml"; }},
      {"LOCUST_TAGS", "[a, b]",
       [](const Options& o) {
         return o.tags == std::vector<std::string>{"a", "b"};
       }},
      {"LOCUST_EXCLUDE_TAGS", "c",
       [](const Options& o) { return o.exclude_tags == std::vector<std::string>{"c"}; }},
      {"LOADGEN_THRESHOLD", "p95<1s",
       [](const Options& o) { return o.thresholds == std::vector<std::string>{"p95<1s"}; }},
      {"LOADGEN_SUMMARY_JSON", "s.json",
       [](const Options& o) { return o.summary_json == "s.json"; }},
      {"LOADGEN_STAGES", "10s:5", [](const Options& o) { return o.stages.size() == 1; }},
      {"LOADGEN_ARRIVAL_RATE", "120/m", [](const Options& o) { return o.arrival_rate == 2.0; }},
      {"LOADGEN_ARRIVAL_STAGES", "1s:5,2s:0",
       [](const Options& o) { return o.arrival_stages.size() == 2; }},
      {"LOADGEN_MAX_USERS", "7", [](const Options& o) { return o.max_users == 7; }},
  };
  for (const Case& c : cases) {
    const Options o = ok({}, env({{c.var, c.value}}));
    EXPECT_TRUE(c.check(o)) << c.var << "=" << c.value;
  }
  // Flags that need a companion.
  const Options o = ok({}, env({{"LOCUST_CSV", "p"}, {"LOCUST_CSV_FULL_HISTORY", "true"}}));
  EXPECT_TRUE(o.csv_full_history);
  write("body.txt", "file body");
  EXPECT_EQ(ok({}, env({{"LOADGEN_BODY_FILE", "body.txt"}})).body, "file body");
  write("c.pem", "cert");
  write("k.pem", "key");
  const Options tls = ok({}, env({{"LOCUST_TLS_CERT", "c.pem"}, {"LOCUST_TLS_KEY", "k.pem"}}));
  EXPECT_EQ(tls.tls_cert, "c.pem");
  EXPECT_EQ(tls.tls_key, "k.pem");
  // Every option in the table has an env var but -l and --show-task-ratio[-json] (none in
  // Locust either), and the table covers every case above.
  EXPECT_EQ(option_specs().size(), cases.size() + 4 + 3);
  for (const OptionSpec& spec : option_specs()) {
    const bool inspection = spec.id == OptionId::kList || spec.id == OptionId::kShowTaskRatio ||
                            spec.id == OptionId::kShowTaskRatioJson;
    EXPECT_EQ(spec.env_var.empty(), inspection) << spec.long_name;
  }
}

TEST_F(OptionsTest, PrecedenceCliBeatsEnvBeatsFile) {
  write("locust.conf", "users = 3\nspawn-rate = 3\nrun-time = 3m\n");
  const Env e = env({{"LOCUST_USERS", "4"}, {"LOCUST_SPAWN_RATE", "4"}});
  const Options o = ok({"-u", "5"}, e);
  EXPECT_EQ(o.users, 5);         // CLI
  EXPECT_EQ(o.spawn_rate, 4.0);  // env
  EXPECT_EQ(o.run_time, 180s);   // file
  EXPECT_EQ(ok({}, e).users, 4);
  EXPECT_EQ(ok({}).users, 3);
}

TEST_F(OptionsTest, ConfigFileOrderHomeThenCwdThenConfigFlag) {
  write("home/.locust.conf", "users = 1\nspawn-rate = 1\nrun-time = 1s\nthreads = 1\n");
  write("locust.conf", "users = 2\nspawn-rate = 2\nrun-time = 2s\n");
  write("extra.conf", "users = 3\n");
  Options o = ok({"--config", "extra.conf"});
  EXPECT_EQ(o.users, 3);
  EXPECT_EQ(o.spawn_rate, 2.0);
  EXPECT_EQ(o.run_time, 2s);
  EXPECT_EQ(o.threads, 1);
  EXPECT_EQ(o.config_file, "extra.conf");
  o = ok({});
  EXPECT_EQ(o.users, 2);
  EXPECT_EQ(o.config_file, "");
}

TEST_F(OptionsTest, ConfigFileSyntax) {
  write("c.conf",
        "# a comment\n"
        "; another\n"
        "[locust]\n"
        "---\n"
        "\n"
        "headless\n"
        "--host = http://example.com:8080\n"
        "users: 9\n"
        "spawn-rate 2\n"
        "run-time = \"1h 30m\"\n"
        "loglevel = debug   # trailing comment\n"
        "print-stats = yes\n"
        "reset-stats = 0\n"
        "insecure = TRUE\n"
        "path = [/a, /b]\n"
        "header = [\"X-A: 1\", X-B: two]\n"
        "logfile =\n"
        "csv = 'out'\n");
  const Options o = ok({"--config", "c.conf"});
  EXPECT_TRUE(o.headless);
  EXPECT_EQ(o.host, "http://example.com:8080");
  EXPECT_EQ(o.users, 9);
  EXPECT_EQ(o.spawn_rate, 2.0);
  EXPECT_EQ(o.run_time, 5400s);
  EXPECT_EQ(o.loglevel, "DEBUG");
  EXPECT_TRUE(o.print_stats);
  EXPECT_FALSE(o.reset_stats);
  EXPECT_TRUE(o.insecure);
  EXPECT_EQ(o.paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(o.headers, (std::vector<std::string>{"X-A: 1", "X-B: two"}));
  EXPECT_EQ(o.logfile, "");
  EXPECT_EQ(o.csv_prefix, "out");
}

TEST_F(OptionsTest, ConfigFileErrorsNameFileAndLine) {
  write("locust.conf", "users = 2\n\nuserz = 3\nspawn-rate = x\nusers = [1, 2]\nconfig = a\n");
  const std::string out = fails({});
  EXPECT_THAT(out, HasSubstr("locust.conf:3: unknown option 'userz'"));
  EXPECT_THAT(out, HasSubstr("locust.conf:4: spawn-rate: 'x' is not a number"));
  EXPECT_THAT(out,
              HasSubstr("locust.conf:5: users: a list is only allowed for a repeatable option"));
  EXPECT_THAT(out, HasSubstr("locust.conf:6: 'config' cannot be set in a config file"));
}

TEST_F(OptionsTest, MissingConfigFlagFileIsAnErrorDefaultsAreOptional) {
  EXPECT_THAT(fails({"--config", "nope.conf"}),
              HasSubstr("--config: 'nope.conf' is not a readable file"));
  ok({});  // neither ./locust.conf nor ~/.locust.conf exists
}

TEST_F(OptionsTest, EnvBooleans) {
  for (const char* t : {"true", "True", "YES", "1"}) {
    EXPECT_TRUE(ok({}, env({{"LOCUST_HEADLESS", t}})).headless) << t;
  }
  write("locust.conf", "headless = true\n");
  for (const char* f : {"false", "No", "0"}) {
    EXPECT_FALSE(ok({}, env({{"LOCUST_HEADLESS", f}})).headless) << f;
  }
  EXPECT_THAT(fails({}, env({{"LOCUST_HEADLESS", "maybe"}})),
              HasSubstr("LOCUST_HEADLESS='maybe' (environment): not a boolean"));
  // The CLI can turn a flag off again.
  EXPECT_FALSE(ok({"--headless=false"}).headless);
  // An empty variable counts as unset.
  EXPECT_TRUE(ok({}, env({{"LOCUST_HEADLESS", ""}})).headless);
}

TEST_F(OptionsTest, EnvLists) {
  Options o = ok({}, env({{"LOADGEN_PATH", "[/a, /b]"}, {"LOADGEN_HEADER", "[X-A: 1, X-B: 2]"}}));
  EXPECT_EQ(o.paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(o.headers, (std::vector<std::string>{"X-A: 1", "X-B: 2"}));
  // Without brackets the whole value is one item (Locust: LOCUST_TAGS="a b" gives ['a b']).
  EXPECT_THAT(fails({}, env({{"LOADGEN_PATH", "/a /b"}})),
              HasSubstr("LOADGEN_PATH='/a /b' (environment): not a path"));
  // The CLI list replaces the env list as a whole.
  o = ok({"--path", "/c"}, env({{"LOADGEN_PATH", "[/a, /b]"}}));
  EXPECT_EQ(o.paths, std::vector<std::string>{"/c"});
}

TEST_F(OptionsTest, LocustfileFromCliEnvAndConfig) {
  EXPECT_EQ(ok({"-f", "a.yaml"}).locustfile, "a.yaml");
  EXPECT_EQ(ok({"--locustfile=b.lua"}).locustfile, "b.lua");
  const Env e = env({{"LOCUST_LOCUSTFILE", "env.yaml"}});
  EXPECT_EQ(ok({}, e).locustfile, "env.yaml");
  EXPECT_EQ(ok({"-f", "cli.yaml"}, e).locustfile, "cli.yaml");
  write("locust.conf", "locustfile = conf.yaml\n");
  EXPECT_EQ(ok({}).locustfile, "conf.yaml");
  EXPECT_EQ(ok({}, e).locustfile, "env.yaml");
  EXPECT_THAT(fails({"-f", ""}), HasSubstr("empty: name a .yaml, .yml or .lua scenario file"));
}

TEST_F(OptionsTest, ConfigFileWithUtf8BomIsRead) {
  write("bom.conf", "\xEF\xBB\xBFusers = 7\nrun-time = 3s\n");
  const Options o = ok({"--config", "bom.conf"});
  EXPECT_EQ(o.users, 7);
  EXPECT_EQ(o.run_time, 3s);
  write("locust.conf", "\xEF\xBB\xBF# a comment first\nspawn-rate = 4\n");
  EXPECT_EQ(ok({}).spawn_rate, 4.0);
}

TEST_F(OptionsTest, UnsupportedLocustEnvVarsWarnOncePerVariable) {
  ParseResult r = parse({}, env({{"LOCUST_EQUAL_WEIGHTS", "true"},
                                 {"LOCUST_PROCESSES", "4"},
                                 {"LOCUST_HATCH_RATE", "5"},
                                 {"LOCUST_USRES", "5"},
                                 {"LOCUST_HEADFUL", ""},  // empty counts as unset
                                 {"LOCUST_USERS", "3"},
                                 {"LOCUST_HTTP_USER_WEIGHT", "2"}}));
  ASSERT_EQ(r.action, ParseResult::Action::kRun) << r.output;
  EXPECT_EQ(r.options.users, 3);
  ASSERT_EQ(r.warnings.size(), 4u) << ::testing::PrintToString(r.warnings);
  auto warned = [&](const std::string& var, const std::string& advice) {
    int n = 0;
    for (const std::string& w : r.warnings) {
      if (w.starts_with(var + " (environment)")) {
        ++n;
        EXPECT_THAT(w, HasSubstr(advice));
      }
    }
    EXPECT_EQ(n, 1) << var;
  };
  warned("LOCUST_EQUAL_WEIGHTS", "fix their task weights");
  warned("LOCUST_PROCESSES", "use LOADGEN_THREADS");
  warned("LOCUST_HATCH_RATE", "use LOCUST_SPAWN_RATE");
  warned("LOCUST_USRES", "not a setting loadgen knows");
  EXPECT_TRUE(ok({}).users == 1);
  EXPECT_TRUE(parse({}).warnings.empty());
}

TEST_F(OptionsTest, HtmlReportFromEverySource) {
  EXPECT_EQ(ok({"--html", "run.html"}).html_file, "run.html");
  write("locust.conf", "html = conf.html\n");
  EXPECT_EQ(ok({}).html_file, "conf.html");
  EXPECT_EQ(ok({}, env({{"LOCUST_HTML", "env.html"}})).html_file, "env.html");
  EXPECT_TRUE(parse({}, env({{"LOCUST_HTML", "env.html"}})).warnings.empty());
}

}  // namespace
}  // namespace loadgen::app
