// Tests for app/options on the command line: defaults, every option's long and short forms,
// help and version, unknown options and positional class names. The environment and config files
// are in options_sources_test.cpp, the checks of values and combinations in
// options_validation_test.cpp.
#include "app/options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/options_help.hpp"
#include "options_test_fixture.hpp"

namespace loadgen::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

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
  EXPECT_EQ(ok({}).loop_nap, 100us);
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

}  // namespace
}  // namespace loadgen::app
