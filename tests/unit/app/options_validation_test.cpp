// Tests for app/options' checks: each value's conversion and range, the rules across options,
// errors reported all at once with their source.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/options.hpp"
#include "options_test_fixture.hpp"

namespace loadgen::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

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
