// Tests for app/options: CLI, env vars and config files with Locust's names and precedence,
// errors reported all at once with their source, help and version.
#include "app/options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <random>

#include "app/options_help.hpp"

namespace loadgen::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Env = std::map<std::string, std::string>;

// Runs each test in a fresh temporary directory (./locust.conf is read from the cwd) with a
// fresh fake HOME inside it.
class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = std::filesystem::current_path();
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("loadgen_options_test_" + std::to_string(rd()) + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "home");
    std::filesystem::current_path(dir_);
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  Env env(std::initializer_list<std::pair<const std::string, std::string>> vars = {}) {
    Env e(vars);
    e.emplace("HOME", (dir_ / "home").string());
    return e;
  }

  ParseResult parse(std::vector<std::string> args, const Env& e) {
    args.insert(args.begin(), "loadgen");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    return parse_options(static_cast<int>(args.size()), argv.data(), e);
  }
  ParseResult parse(std::vector<std::string> args) { return parse(std::move(args), env()); }

  Options ok(std::vector<std::string> args, const Env& e) {
    ParseResult r = parse(std::move(args), e);
    EXPECT_EQ(r.action, ParseResult::Action::kRun) << r.output;
    return r.options;
  }
  Options ok(std::vector<std::string> args) { return ok(std::move(args), env()); }

  // Expects a usage error and returns its output.
  std::string fails(std::vector<std::string> args, const Env& e) {
    ParseResult r = parse(std::move(args), e);
    EXPECT_EQ(r.action, ParseResult::Action::kExit);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("Run with --help for usage."));
    return r.output;
  }
  std::string fails(std::vector<std::string> args) { return fails(std::move(args), env()); }

  std::filesystem::path old_cwd_;
  std::filesystem::path dir_;
};

TEST_F(OptionsTest, Defaults) {
  const Options o = ok({});
  EXPECT_EQ(o.host, "");
  EXPECT_EQ(o.users, 1);
  EXPECT_EQ(o.spawn_rate, 1.0);
  EXPECT_FALSE(o.run_time);
  EXPECT_FALSE(o.headless);
  EXPECT_FALSE(o.stop_timeout);
  EXPECT_EQ(o.loglevel, "INFO");
  EXPECT_EQ(o.exit_code_on_error, 1);
  EXPECT_EQ(o.web_port, 8089);
  EXPECT_EQ(o.threads, 0);
  EXPECT_EQ(o.scenario, "astronomy-shop");
  EXPECT_EQ(o.paths, std::vector<std::string>{"/"});
  EXPECT_EQ(o.method, "GET");
  EXPECT_TRUE(o.headers.empty());
  EXPECT_TRUE(o.wait_time.empty());
  EXPECT_EQ(o.connect_timeout, 60s);
  EXPECT_EQ(o.timeout, 60s);
  EXPECT_EQ(o.max_redirects, 30);
  EXPECT_EQ(o.seed, 0u);
  EXPECT_EQ(o.config_file, "");
}

TEST_F(OptionsTest, FlushTimeout) {
  EXPECT_EQ(ok({}).flush_timeout, 5s);  // the documented default
  EXPECT_EQ(ok({"--flush-timeout", "1500ms"}).flush_timeout, 1500ms);
  EXPECT_EQ(ok({}, env({{"LOADGEN_FLUSH_TIMEOUT", "2s"}})).flush_timeout, 2s);
  EXPECT_THAT(fails({"--flush-timeout", "0"}), HasSubstr("--flush-timeout: '0' is zero"));
  EXPECT_THAT(fails({"--flush-timeout", "soon"}), HasSubstr("--flush-timeout: 'soon'"));
  EXPECT_EQ(ok({"--loop-nap", "50us"}).loop_nap, 50us);
  EXPECT_EQ(ok({"--loop-nap", "0"}).loop_nap, 0us);
  EXPECT_EQ(ok({}).loop_nap, 20us);
  EXPECT_THAT(fails({"--loop-nap", "2ms"}), HasSubstr("--loop-nap: '2ms' is too long"));
  EXPECT_THAT(fails({"--loop-nap", "-1us"}), HasSubstr("--loop-nap: '-1us'"));
  EXPECT_EQ(ok({}).park_after, 500ms);
  EXPECT_EQ(ok({"--park-after", "0"}).park_after, 0ms);
  EXPECT_EQ(ok({}).connection_pool, 4096);
  EXPECT_EQ(ok({"--connection-pool", "0"}).connection_pool, 0);
  EXPECT_THAT(fails({"--park-after", "soon"}), HasSubstr("--park-after: 'soon'"));
  EXPECT_THAT(fails({"--connection-pool", "-3"}), HasSubstr("--connection-pool: '-3'"));
}

TEST_F(OptionsTest, EveryOptionOnTheCommandLine) {
  const Options o = ok({"--host",
                        "http://localhost:8080",
                        "--users",
                        "10",
                        "--spawn-rate",
                        "2.5",
                        "--run-time",
                        "1h30m",
                        "--headless",
                        "--autostart",
                        "--stop-timeout",
                        "5",
                        "--loglevel",
                        "debug",
                        "--logfile",
                        "l.log",
                        "--csv",
                        "out",
                        "--csv-full-history",
                        "--print-stats",
                        "--only-summary",
                        "--json",
                        "--exit-code-on-error",
                        "3",
                        "--web-host",
                        "127.0.0.1",
                        "--web-port",
                        "9000",
                        "--reset-stats",
                        "--threads",
                        "4",
                        "--scenario",
                        "shop-1",
                        "--path",
                        "/a",
                        "--path",
                        "/b?x=1",
                        "--method",
                        "post",
                        "--body",
                        "{}",
                        "--header",
                        "X-A: 1",
                        "--header",
                        "Accept:text/plain",
                        "--wait-time",
                        "between(1, 2.5)",
                        "--connect-timeout",
                        "500ms",
                        "--timeout",
                        "1.5s",
                        "--insecure",
                        "--max-redirects",
                        "0",
                        "--seed",
                        "18446744073709551615"});
  EXPECT_EQ(o.host, "http://localhost:8080");
  EXPECT_EQ(o.users, 10);
  EXPECT_EQ(o.spawn_rate, 2.5);
  EXPECT_EQ(o.run_time, 5400s);
  EXPECT_TRUE(o.headless);
  EXPECT_TRUE(o.autostart);
  EXPECT_EQ(o.stop_timeout, 5s);
  EXPECT_EQ(o.loglevel, "DEBUG");
  EXPECT_EQ(o.logfile, "l.log");
  EXPECT_EQ(o.csv_prefix, "out");
  EXPECT_TRUE(o.csv_full_history);
  EXPECT_TRUE(o.print_stats);
  EXPECT_TRUE(o.only_summary);
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.exit_code_on_error, 3);
  EXPECT_EQ(o.web_host, "127.0.0.1");
  EXPECT_EQ(o.web_port, 9000);
  EXPECT_TRUE(o.reset_stats);
  EXPECT_EQ(o.threads, 4);
  EXPECT_EQ(o.scenario, "shop-1");
  EXPECT_EQ(o.paths, (std::vector<std::string>{"/a", "/b?x=1"}));
  EXPECT_EQ(o.method, "POST");
  EXPECT_EQ(o.body, "{}");
  EXPECT_EQ(o.headers, (std::vector<std::string>{"X-A: 1", "Accept:text/plain"}));
  EXPECT_EQ(o.wait_time, "between(1,2.5)");
  EXPECT_EQ(o.connect_timeout, 500ms);
  EXPECT_EQ(o.timeout, 1500ms);
  EXPECT_TRUE(o.insecure);
  EXPECT_EQ(o.max_redirects, 0);
  EXPECT_EQ(o.seed, 18446744073709551615u);
}

TEST_F(OptionsTest, ShortOptionsAndEqualsForm) {
  const Options o = ok({"-H", "https://example.com", "-u", "7", "-r", "3", "-t", "20s", "-s", "1m",
                        "-L", "warning", "-P", "0", "--users=8"});
  EXPECT_EQ(o.host, "https://example.com");
  EXPECT_EQ(o.users, 8);  // the last one given wins, as with argparse
  EXPECT_EQ(o.spawn_rate, 3.0);
  EXPECT_EQ(o.run_time, 20s);
  EXPECT_EQ(o.stop_timeout, 60s);
  EXPECT_EQ(o.loglevel, "WARNING");
  EXPECT_EQ(o.web_port, 0);
}

TEST_F(OptionsTest, WebModeOptions) {
  Options o = ok({"-H", "http://x"});
  EXPECT_EQ(o.autoquit, -1);
  EXPECT_EQ(o.web_auth, "");
  o = ok({"-H", "http://x", "--autoquit", "0", "--web-auth", "admin:secret"});
  EXPECT_EQ(o.autoquit, 0);
  EXPECT_EQ(o.web_auth, "admin:secret");
  EXPECT_THAT(fails({"-H", "http://x", "--autoquit", "soon"}), HasSubstr("--autoquit"));
  // The value is a secret: a malformed one is not echoed.
  const std::string out = fails({"-H", "http://x", "--web-auth", "nocolon"});
  EXPECT_THAT(out, HasSubstr("not of the form user:pass"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("nocolon")));
}

TEST_F(OptionsTest, HelpIsGroupedAndNamesEnvVars) {
  for (const char* flag : {"--help", "-h"}) {
    ParseResult r = parse({"-u", "notanumber", flag});
    EXPECT_EQ(r.action, ParseResult::Action::kExit);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.output, HasSubstr("Usage: loadgen"));
    EXPECT_THAT(r.output, HasSubstr("Common options"));
    EXPECT_THAT(r.output, HasSubstr("Request options"));
    EXPECT_THAT(r.output, HasSubstr("loadgen options"));
    EXPECT_THAT(r.output, HasSubstr("--config FILE"));
    EXPECT_THAT(r.output, HasSubstr("~/.locust.conf"));
    for (const OptionSpec& s : option_specs()) {
      EXPECT_THAT(r.output, HasSubstr("--" + std::string(s.long_name)));
      EXPECT_THAT(r.output, HasSubstr(std::string(s.env_var)));
    }
  }
}

TEST_F(OptionsTest, Version) {
  for (const char* flag : {"--version", "-V"}) {
    ParseResult r = parse({flag});
    EXPECT_EQ(r.action, ParseResult::Action::kExit);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.output, "loadgen 0.1.0\n");
  }
}

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

// --threshold: repeatable, validated here (the message names the source), "[a, b]" in the
// environment and config files; the origin goes with them for the summary's Origin column.
TEST_F(OptionsTest, Thresholds) {
  Options o = ok({"--threshold", "p95<300ms", "--threshold", "GET /a:failure_ratio<1%!abort"});
  EXPECT_EQ(o.thresholds, (std::vector<std::string>{"p95<300ms", "GET /a:failure_ratio<1%!abort"}));
  EXPECT_EQ(o.thresholds_origin, "--threshold");
  o = ok({}, env({{"LOADGEN_THRESHOLD", "[p95<1s, rps>10]"}}));
  EXPECT_EQ(o.thresholds, (std::vector<std::string>{"p95<1s", "rps>10"}));
  EXPECT_EQ(o.thresholds_origin, "LOADGEN_THRESHOLD");
  write("locust.conf", "\nthreshold = [count>0, http://h:1/x:p99<2s]\n");
  o = ok({});
  EXPECT_EQ(o.thresholds, (std::vector<std::string>{"count>0", "http://h:1/x:p99<2s"}));
  EXPECT_EQ(o.thresholds_origin, "locust.conf:2");
  // The command line's list replaces the others as a whole (they add to a scenario file's).
  EXPECT_EQ(ok({"--threshold", "max<1s"}).thresholds, std::vector<std::string>{"max<1s"});
  EXPECT_THAT(fails({"--threshold", "p95<<1"}),
              HasSubstr("--threshold: 'p95<<1' is not a threshold: not a comparison"));
  EXPECT_THAT(fails({}, env({{"LOADGEN_THRESHOLD", "[p95<1s, lat<1]"}})),
              HasSubstr("LOADGEN_THRESHOLD='lat<1' (environment): not a threshold: unknown "
                        "metric 'lat'"));
  write("locust.conf", "threshold = p95<1x\n");
  EXPECT_THAT(fails({}), HasSubstr("locust.conf:1: threshold: 'p95<1x' is not a threshold: "
                                   "unknown time unit 'x'"));
}

TEST_F(OptionsTest, AllErrorsReportedAtOnce) {
  const std::string out =
      fails({"--users", "abc", "--run-time", "1x", "--path", "nope", "--header", "bad",
             "--wait-time", "between(3,1)", "--frobnicate", "--timeout", "-1s"},
            env({{"LOCUST_SPAWN_RATE", "x"}}));
  EXPECT_THAT(out, HasSubstr("--users: 'abc' is not an integer\n"));
  EXPECT_THAT(out, HasSubstr("LOCUST_SPAWN_RATE='x' (environment): not a number\n"));
  EXPECT_THAT(out, HasSubstr("--run-time: '1x' is not a valid timespan"));
  EXPECT_THAT(out, HasSubstr("--path: 'nope' is not a path"));
  EXPECT_THAT(out, HasSubstr("--header: 'bad' is not a header of the form 'Name: value'"));
  EXPECT_THAT(out, HasSubstr("--wait-time: 'between(3,1)' is not a valid wait time"));
  EXPECT_THAT(out, HasSubstr("unknown option '--frobnicate'"));
  EXPECT_THAT(out, HasSubstr("--timeout: '-1s' is negative; use a number and a unit"));
  EXPECT_THAT(out, testing::EndsWith("Run with --help for usage.\n"));
}

TEST_F(OptionsTest, UnknownOptionsAndPositionals) {
  std::string out = fails({"--userz", "5"});
  EXPECT_THAT(out, HasSubstr("unknown option '--userz'"));
  EXPECT_THAT(out, Not(HasSubstr("unexpected argument")));
  EXPECT_THAT(fails({"--nope=1"}), HasSubstr("unknown option '--nope'"));
  // Positional words are Locust's UserClass names (checked once the scenario is loaded).
  EXPECT_EQ(ok({"MyUser"}).user_classes, std::vector<std::string>{"MyUser"});
  EXPECT_THAT(fails({"--users"}), HasSubstr("--users: missing value"));
  // Locust options loadgen does not implement are named as such.
  out = fails({"--processes", "4", "-f", "shop.yaml"});
  EXPECT_THAT(out, HasSubstr("'--processes' is a Locust option that loadgen does not support"));
  EXPECT_THAT(out, Not(HasSubstr("'-f'")));
  write("locust.conf", "headful = true\n");
  EXPECT_THAT(fails({}), HasSubstr("locust.conf:1: 'headful' is a Locust option that "
                                   "loadgen does not support"));
}

TEST_F(OptionsTest, DistributedRoles) {
  Options m = ok({"--master", "--expect-workers", "3", "--master-bind-port", "0"});
  EXPECT_TRUE(m.master);
  EXPECT_EQ(m.expect_workers, 3);
  EXPECT_EQ(m.master_bind_port, 0);
  EXPECT_EQ(m.master_bind_host, "*");
  Options w = ok({"--worker", "--master-host", "10.0.0.1", "--master-port", "5558"});
  EXPECT_TRUE(w.worker);
  EXPECT_EQ(w.master_host, "10.0.0.1");
  EXPECT_EQ(w.master_port, 5558);
  EXPECT_THAT(fails({"--master", "--worker"}), HasSubstr("cannot be used together"));
  EXPECT_THAT(fails({"--worker", "-t", "10s"}), HasSubstr("the master's run time applies"));
  EXPECT_THAT(fails({"--worker", "--stages", "10s:5"}), HasSubstr("the master sets the load"));
  EXPECT_THAT(fails({"--master", "--arrival-rate", "5/s", "--max-users", "5"}),
              HasSubstr("closed model"));
  EXPECT_THAT(fails({"--expect-workers", "0"}), HasSubstr("--expect-workers"));
  EXPECT_THAT(fails({"--master-port", "0"}), HasSubstr("--master-port"));
  EXPECT_THAT(fails({"--master-host", " "}), HasSubstr("empty host"));
  EXPECT_TRUE(ok({"--enable-rebalancing"}).users == 1);  // accepted: always on
  write("locust.conf", "worker = true\nmaster-host = m1\n");
  EXPECT_EQ(ok({}).master_host, "m1");
}

TEST_F(OptionsTest, TagsTakeTheWordsAfterThemAsLocustsNargsStar) {
  Options o = ok({"-T", "a", "b", "-E", "c", "--users", "2"});
  EXPECT_EQ(o.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o.exclude_tags, std::vector<std::string>{"c"});
  EXPECT_EQ(o.users, 2);
  // Long names, '=', and repeated options (the words add up).
  o = ok({"--tags=a", "--tags", "b", "--exclude-tags", "x", "y"});
  EXPECT_EQ(o.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o.exclude_tags, (std::vector<std::string>{"x", "y"}));
  // A bare -T is no filter (Locust: an empty list).
  EXPECT_TRUE(ok({"-T"}).tags.empty());
  EXPECT_TRUE(ok({"-T", "-u", "1"}).tags.empty());
  // -T takes every word after it, as argparse does: class names go first or after --.
  o = ok({"UserA", "-T", "a", "UserB"});
  EXPECT_EQ(o.tags, (std::vector<std::string>{"a", "UserB"}));
  EXPECT_EQ(o.user_classes, std::vector<std::string>{"UserA"});
  o = ok({"-T", "a", "--", "UserB", "UserC"});
  EXPECT_EQ(o.tags, std::vector<std::string>{"a"});
  EXPECT_EQ(o.user_classes, (std::vector<std::string>{"UserB", "UserC"}));
  // Environment and config files: Locust's list syntax; without brackets one tag.
  EXPECT_EQ(ok({}, env({{"LOCUST_TAGS", "a b"}})).tags, std::vector<std::string>{"a b"});
  write("locust.conf", "tags = [cart, checkout]\nexclude-tags = flood\n");
  o = ok({});
  EXPECT_EQ(o.tags, (std::vector<std::string>{"cart", "checkout"}));
  EXPECT_EQ(o.exclude_tags, std::vector<std::string>{"flood"});
  // The command line replaces the file's list as a whole.
  EXPECT_EQ(ok({"-T", "browse"}).tags, std::vector<std::string>{"browse"});
  // No longer "a Locust option that loadgen does not support", and no env warning.
  EXPECT_TRUE(
      parse({}, env({{"LOCUST_TAGS", "[a]"}, {"LOCUST_EXCLUDE_TAGS", "b"}})).warnings.empty());
}

TEST_F(OptionsTest, InspectionFlagsAndPositionalClasses) {
  EXPECT_TRUE(ok({"-l"}).list_user_classes);
  EXPECT_TRUE(ok({"--list"}).list_user_classes);
  EXPECT_TRUE(ok({"--show-task-ratio"}).show_task_ratio);
  EXPECT_TRUE(ok({"--show-task-ratio-json"}).show_task_ratio_json);
  EXPECT_FALSE(ok({}).list_user_classes);
  write("locust.conf", "show-task-ratio = true\n");
  EXPECT_TRUE(ok({}).show_task_ratio);
  // -u given or not (Locust's num_users is None when not given).
  EXPECT_FALSE(ok({}).users_given);
  EXPECT_TRUE(ok({"-u", "3"}).users_given);
  EXPECT_TRUE(ok({}, env({{"LOCUST_USERS", "3"}})).users_given);
  // Positional class names, in order, after other options too.
  const Options o = ok({"-f", "s.yaml", "UserA", "--headless", "UserB"});
  EXPECT_EQ(o.user_classes, (std::vector<std::string>{"UserA", "UserB"}));
  // A word after an unknown option is taken for its value, not a class.
  const std::string out = fails({"--nope", "UserA"});
  EXPECT_THAT(out, HasSubstr("unknown option '--nope'"));
  EXPECT_THAT(out, Not(HasSubstr("UserA")));
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

TEST_F(OptionsTest, RangeChecks) {
  EXPECT_THAT(fails({"-u", "-1"}), HasSubstr("--users: '-1' is negative"));
  EXPECT_THAT(fails({"-r", "0"}), HasSubstr("--spawn-rate: '0' is not greater than 0"));
  EXPECT_THAT(fails({"-r", "-2"}), HasSubstr("--spawn-rate: '-2' is not greater than 0"));
  EXPECT_THAT(fails({"-r", "nan"}), HasSubstr("not a number"));
  EXPECT_THAT(fails({"-r", "1e20"}),
              HasSubstr("--spawn-rate: '1e20' is too high (at most 1e+09 users/s)"));
  EXPECT_EQ(ok({"-r", "1e9"}).spawn_rate, 1e9);
  EXPECT_THAT(fails({"--arrival-rate", "100000000"}),
              HasSubstr("--arrival-rate: '100000000' is too high: 1e+08 iterations/s is above the "
                        "maximum of 1e+07/s"));
  EXPECT_THAT(fails({"-t", "-5"}), HasSubstr("--run-time: '-5' is negative; valid formats"));
  EXPECT_THAT(fails({"-s", "soon"}), HasSubstr("--stop-timeout: 'soon' is not a valid timespan"));
  EXPECT_THAT(fails({"-P", "70000"}), HasSubstr("--web-port: '70000' is out of range (0..65535)"));
  EXPECT_THAT(fails({"-L", "verbose"}), HasSubstr("--loglevel: 'verbose' is not a log level"));
  EXPECT_THAT(fails({"--method", "FETCH"}),
              HasSubstr("--method: 'FETCH' is not a supported method"));
  EXPECT_THAT(fails({"--scenario", "Shop!"}),
              HasSubstr("--scenario: 'Shop!' is not a scenario name"));
  EXPECT_THAT(fails({"--threads", "1.5"}), HasSubstr("--threads: '1.5' is not an integer"));
  EXPECT_THAT(fails({"--timeout", "0"}), HasSubstr("--timeout: '0' is zero"));
  EXPECT_THAT(fails({"--seed", "-1"}), HasSubstr("--seed: '-1' is not an unsigned 64-bit integer"));
  EXPECT_THAT(fails({"--exit-code-on-error", "256"}), HasSubstr("out of range (0..255)"));
  EXPECT_THAT(fails({"--header", "Bad Name: x"}), HasSubstr("not a header"));
  EXPECT_THAT(fails({"--header", ": x"}), HasSubstr("not a header"));
  // The body's framing is loadgen's (RFC 9112 §6): never a second one beside it.
  EXPECT_THAT(fails({"--header", "Content-Length: 5"}),
              HasSubstr("--header: 'Content-Length: 5' is not allowed: Content-Length frames"));
  EXPECT_THAT(fails({"--header", "transfer-encoding: chunked"}),
              HasSubstr("not allowed: Transfer-Encoding frames the request body"));
  EXPECT_THAT(fails({"--max-body-size", "16x"}),
              HasSubstr("--max-body-size: '16x' is not a size: unknown unit 'x'"));
  EXPECT_THAT(fails({"--max-body-size", "MiB"}), HasSubstr("is not a size"));
  EXPECT_THAT(fails({"--max-body-size", "0KiB"}), HasSubstr("is zero"));
  EXPECT_THAT(fails({"--max-body-size", "2TiB"}), HasSubstr("is too large (at most 1TiB)"));
  EXPECT_THAT(fails({"--path", "/a b"}), HasSubstr("not a path"));
  EXPECT_THAT(fails({"--wait-time", "constant_throughput(0)"}),
              HasSubstr("--wait-time: 'constant_throughput(0)' is not a valid wait time: it "));
  EXPECT_THAT(fails({}, env({{"LOADGEN_WAIT_TIME", "sleep(1)"}})),
              HasSubstr("LOADGEN_WAIT_TIME='sleep(1)' (environment): not a valid wait time: it "));
}

TEST_F(OptionsTest, MaxBodySizeUnits) {
  EXPECT_EQ(ok({}).max_body_size, 16u << 20);
  EXPECT_EQ(ok({"--max-body-size", "4096"}).max_body_size, 4096u);
  EXPECT_EQ(ok({"--max-body-size", "10 bytes"}).max_body_size, 10u);
  EXPECT_EQ(ok({"--max-body-size", "512KiB"}).max_body_size, 512u * 1024);
  EXPECT_EQ(ok({"--max-body-size", "1.5MB"}).max_body_size, 1'500'000u);
  EXPECT_EQ(ok({"--max-body-size", "1gb"}).max_body_size, 1'000'000'000u);
  EXPECT_EQ(ok({"--max-body-size", "1TiB"}).max_body_size, 1ull << 40);
}

TEST_F(OptionsTest, Host) {
  EXPECT_EQ(ok({"-H", "HTTPS://Example.com/base"}).host, "HTTPS://Example.com/base");
  EXPECT_THAT(fails({"-H", "localhost:8080"}),
              HasSubstr("--host: 'localhost:8080' is not an http:// or https:// URL"));
  EXPECT_THAT(fails({"-H", "http://"}), HasSubstr("is not an http:// or https:// URL"));
  EXPECT_THAT(fails({"-H", "ftp://x"}), HasSubstr("is not an http:// or https:// URL"));
  const std::string out = fails({"-H", "http://user:s3cret@host:99999"});
  EXPECT_THAT(out,
              HasSubstr("--host: 'http://REDACTED@host:99999' is not an http:// or https:// URL"));
  EXPECT_THAT(out, Not(HasSubstr("s3cret")));
}

TEST_F(OptionsTest, CrossOptionRules) {
  EXPECT_THAT(fails({"--csv-full-history"}), HasSubstr("--csv-full-history requires --csv"));
  EXPECT_THAT(fails({}, env({{"LOCUST_CSV_FULL_HISTORY", "1"}})),
              HasSubstr("LOCUST_CSV_FULL_HISTORY (environment) requires --csv"));
  write("b.txt", "x");
  EXPECT_THAT(fails({"--body", "a", "--body-file", "b.txt"}),
              HasSubstr("--body and --body-file cannot be used together"));
  EXPECT_THAT(fails({"--body-file", "missing.txt"}),
              HasSubstr("--body-file: 'missing.txt' is not a readable file (no such file)"));
  // Locust's --tls-cert/--tls-key: both or neither; each a readable file.
  write("c.pem", "cert");
  EXPECT_THAT(fails({"--tls-cert", "c.pem"}), HasSubstr("--tls-cert needs --tls-key too"));
  EXPECT_THAT(fails({}, env({{"LOCUST_TLS_KEY", "c.pem"}})),
              HasSubstr("LOCUST_TLS_KEY (environment) needs --tls-cert too"));
  EXPECT_THAT(fails({"--tls-cert", "c.pem", "--tls-key", "nokey.pem"}),
              HasSubstr("--tls-key: 'nokey.pem' is not a readable file (no such file)"));
}

TEST_F(OptionsTest, BodyFileIsReadVerbatim) {
  write("body.json", "{\"a\": 1}\n\x01");
  EXPECT_EQ(ok({"--body-file", "body.json"}).body, "{\"a\": 1}\n\x01");
}

// Issue 10: inputs that can never work are usage errors naming the input.
TEST_F(OptionsTest, DirectoriesAreNotFiles) {
  std::filesystem::create_directories(dir_ / "adir");
  EXPECT_THAT(fails({"--config", "adir"}),
              HasSubstr("--config: 'adir' is not a readable file (is a directory)"));
  EXPECT_THAT(fails({"--body-file", "adir"}),
              HasSubstr("--body-file: 'adir' is not a readable file (is a directory)"));
  std::filesystem::create_directories(dir_ / "locust.conf");
  EXPECT_THAT(fails({}), HasSubstr("'locust.conf' is not a readable file (is a directory)"));
}

TEST_F(OptionsTest, ConfigFileWithUtf8BomIsRead) {
  write("bom.conf", "\xEF\xBB\xBFusers = 7\nrun-time = 3s\n");
  const Options o = ok({"--config", "bom.conf"});
  EXPECT_EQ(o.users, 7);
  EXPECT_EQ(o.run_time, 3s);
  write("locust.conf", "\xEF\xBB\xBF# a comment first\nspawn-rate = 4\n");
  EXPECT_EQ(ok({}).spawn_rate, 4.0);
}

TEST_F(OptionsTest, UsersBeyondTheRangeSaySo) {
  EXPECT_THAT(fails({"-u", "1000000001"}),
              HasSubstr("--users: '1000000001' is out of range (0..1000000000)"));
  EXPECT_THAT(fails({"-u", "99999999999999999999999"}),
              HasSubstr("--users: '99999999999999999999999' is out of range (0..1000000000)"));
  EXPECT_THAT(fails({"-u", "12x"}), HasSubstr("--users: '12x' is not an integer"));
  EXPECT_EQ(ok({"-u", "1000000000"}).users, 1'000'000'000);
}

TEST_F(OptionsTest, RunTimeZeroMeansNoLimitAsInLocust) {
  EXPECT_FALSE(ok({"-t", "0"}).run_time);
  EXPECT_FALSE(ok({"-t", "0s"}).run_time);
  EXPECT_FALSE(ok({}, env({{"LOCUST_RUN_TIME", "0"}})).run_time);
  EXPECT_EQ(ok({"-t", "1s"}).run_time, 1s);
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

TEST_F(OptionsTest, TraceLinkNeedsTheTraceIdPlaceholder) {
  EXPECT_EQ(ok({"--trace-link", "http://jaeger:16686/trace/{trace_id}"}).trace_link,
            "http://jaeger:16686/trace/{trace_id}");
  EXPECT_THAT(fails({"--trace-link", "http://jaeger:16686/trace/"}),
              HasSubstr("--trace-link: 'http://jaeger:16686/trace/' is missing {trace_id}"));
  EXPECT_THAT(fails({}, env({{"LOADGEN_TRACE_LINK", "http://x/{traceid}"}})),
              HasSubstr("LOADGEN_TRACE_LINK='http://x/{traceid}' (environment): missing"));
}

TEST_F(OptionsTest, LoadModelsFromEverySourceWithTheirErrors) {
  const Options o = ok({"--stages", "30s:100,1m:100:10,30s:0"});
  ASSERT_EQ(o.stages.size(), 3u);
  EXPECT_DOUBLE_EQ(o.stages[1].duration_s, 60);
  EXPECT_EQ(*o.stages[1].spawn_rate, 10);
  EXPECT_EQ(o.stages[0].origin, "--stages");
  write("locust.conf", "arrival-rate = 50/s\nmax-users = 20\n");
  const Options f = ok({});
  EXPECT_EQ(f.arrival_rate, 50.0);
  EXPECT_EQ(f.max_users, 20);
  std::filesystem::remove("locust.conf");
  EXPECT_THAT(fails({"--stages", "30s,1m:x"}),
              HasSubstr("--stages: '30s,1m:x' is not valid stages: stage 1 '30s': no target"));
  EXPECT_THAT(fails({"--stages", "30s,1m:x"}), HasSubstr("stage 2 '1m:x': users 'x'"));
  EXPECT_THAT(fails({"--arrival-rate", "0"}), HasSubstr("--arrival-rate: '0' is not a rate > 0"));
  EXPECT_THAT(fails({"--arrival-stages", "1s:5:1"}),
              HasSubstr("arrival-rate stages take no spawn rate"));
  EXPECT_THAT(fails({"--max-users", "0"}), HasSubstr("--max-users: '0' is out of range"));
  EXPECT_THAT(fails({"--stages", "1s:1", "--arrival-rate", "5"}),
              HasSubstr("--stages and --arrival-rate cannot be used together"));
  EXPECT_THAT(fails({"--stages", "1s:1", "--arrival-stages", "1s:5"}),
              HasSubstr("--stages and --arrival-stages cannot be used together"));
  EXPECT_THAT(fails({"--arrival-rate", "5"}, env({{"LOADGEN_ARRIVAL_STAGES", "1s:5"}})),
              HasSubstr("--arrival-rate and LOADGEN_ARRIVAL_STAGES (environment) cannot be used"));
}

}  // namespace
}  // namespace loadgen::app
