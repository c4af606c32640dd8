// Option table and --help text (see options_help.hpp).
#include "app/options_help.hpp"

#include <fmt/format.h>

#include <array>

namespace loadgen::app {
namespace {

using G = OptionGroup;
using K = OptionKind;

// Locust 2.12 argument_parser.py names and env vars; loadgen's own use LOADGEN_<NAME>.
constexpr std::array kSpecs = {
    OptionSpec{OptionId::kHost, "host", "H", "LOCUST_HOST", K::kValue, G::kCommon, "URL",
               "Host to load test, with scheme: http://host[:port] or https://..."},
    OptionSpec{OptionId::kUsers, "users", "u", "LOCUST_USERS", K::kValue, G::kCommon, "N",
               "Peak number of concurrent users (default 1)"},
    OptionSpec{OptionId::kSpawnRate, "spawn-rate", "r", "LOCUST_SPAWN_RATE", K::kValue, G::kCommon,
               "RATE", "Users started per second, > 0 (default 1)"},
    OptionSpec{OptionId::kRunTime, "run-time", "t", "LOCUST_RUN_TIME", K::kValue, G::kCommon,
               "TIME",
               "Stop after this long: 20, 20s, 3m, 2h, 1h30m (default or 0: run until stopped)"},
    OptionSpec{OptionId::kHeadless, "headless", "", "LOCUST_HEADLESS", K::kFlag, G::kCommon, "",
               "Run without the web UI and start the test immediately"},
    OptionSpec{OptionId::kAutostart, "autostart", "", "LOCUST_AUTOSTART", K::kFlag, G::kCommon, "",
               "Start the test immediately, keeping the web UI"},
    OptionSpec{OptionId::kAutoquit, "autoquit", "", "LOCUST_AUTOQUIT", K::kValue, G::kCommon,
               "SECONDS", "Without --headless: quit this long after a run stops (default: never)"},
    OptionSpec{OptionId::kStopTimeout, "stop-timeout", "s", "LOCUST_STOP_TIMEOUT", K::kValue,
               G::kCommon, "TIME",
               "Let users finish their task for this long when stopping (default: stop at once)"},
    OptionSpec{OptionId::kLoglevel, "loglevel", "L", "LOCUST_LOGLEVEL", K::kValue, G::kCommon,
               "LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO)"},
    OptionSpec{OptionId::kLogfile, "logfile", "", "LOCUST_LOGFILE", K::kValue, G::kCommon, "FILE",
               "Write the log to FILE instead of stderr"},
    OptionSpec{OptionId::kCsv, "csv", "", "LOCUST_CSV", K::kValue, G::kCommon, "PREFIX",
               "Write Locust-format CSV stats to PREFIX_stats.csv, PREFIX_failures.csv, ..."},
    OptionSpec{OptionId::kCsvFullHistory, "csv-full-history", "", "LOCUST_CSV_FULL_HISTORY",
               K::kFlag, G::kCommon, "", "Also write every stats row to PREFIX_stats_history.csv"},
    OptionSpec{OptionId::kPrintStats, "print-stats", "", "LOCUST_PRINT_STATS", K::kFlag, G::kCommon,
               "", "Print the stats table periodically"},
    OptionSpec{OptionId::kOnlySummary, "only-summary", "", "LOCUST_ONLY_SUMMARY", K::kFlag,
               G::kCommon, "", "Only print the final summary"},
    OptionSpec{OptionId::kJson, "json", "", "LOCUST_JSON", K::kFlag, G::kCommon, "",
               "Print the final stats as JSON to stdout"},
    OptionSpec{OptionId::kJsonFile, "json-file", "", "LOCUST_JSON_FILE", K::kValue, G::kCommon,
               "FILE", "Write the final stats as JSON to FILE"},
    OptionSpec{OptionId::kHtml, "html", "", "LOCUST_HTML", K::kValue, G::kCommon, "FILE",
               "Write a self-contained HTML report to FILE when the run ends (also at "
               "/stats/report in the web UI)"},
    OptionSpec{OptionId::kExitCodeOnError, "exit-code-on-error", "", "LOCUST_EXIT_CODE_ON_ERROR",
               K::kValue, G::kCommon, "CODE", "Exit code when a request failed (default 1)"},
    OptionSpec{OptionId::kWebHost, "web-host", "", "LOCUST_WEB_HOST", K::kValue, G::kCommon, "ADDR",
               "Interface the web UI binds to (default: all)"},
    OptionSpec{OptionId::kWebPort, "web-port", "P", "LOCUST_WEB_PORT", K::kValue, G::kCommon,
               "PORT", "Port of the web UI (default 8089)"},
    OptionSpec{OptionId::kWebAuth, "web-auth", "", "LOCUST_WEB_AUTH", K::kValue, G::kCommon,
               "USER:PASS", "HTTP basic auth on every route of the web UI"},
    OptionSpec{OptionId::kTlsCert, "tls-cert", "", "LOCUST_TLS_CERT", K::kValue, G::kCommon, "FILE",
               "Serve the web UI over HTTPS with this PEM certificate (with --tls-key)"},
    OptionSpec{OptionId::kTlsKey, "tls-key", "", "LOCUST_TLS_KEY", K::kValue, G::kCommon, "FILE",
               "The PEM private key of --tls-cert"},
    OptionSpec{OptionId::kResetStats, "reset-stats", "", "LOCUST_RESET_STATS", K::kFlag, G::kCommon,
               "", "Reset the stats once all users have been spawned"},

    OptionSpec{OptionId::kMaster, "master", "", "LOCUST_MODE_MASTER", K::kFlag, G::kDistributed, "",
               "Run as the master of a distributed run: workers run the users"},
    OptionSpec{OptionId::kMasterBindHost, "master-bind-host", "", "LOCUST_MASTER_BIND_HOST",
               K::kValue, G::kDistributed, "ADDR",
               "Interface the master binds to (default *: all)"},
    OptionSpec{OptionId::kMasterBindPort, "master-bind-port", "", "LOCUST_MASTER_BIND_PORT",
               K::kValue, G::kDistributed, "PORT", "Port the master binds to (default 5557)"},
    OptionSpec{OptionId::kExpectWorkers, "expect-workers", "", "LOCUST_EXPECT_WORKERS", K::kValue,
               G::kDistributed, "N",
               "With --headless or --autostart: workers to wait for before starting (default 1)"},
    OptionSpec{OptionId::kExpectWorkersMaxWait, "expect-workers-max-wait", "",
               "LOCUST_EXPECT_WORKERS_MAX_WAIT", K::kValue, G::kDistributed, "SECONDS",
               "Give up (exit 1) after waiting this long for them (default 0: forever)"},
    OptionSpec{OptionId::kWorker, "worker", "", "LOCUST_MODE_WORKER", K::kFlag, G::kDistributed, "",
               "Run as a worker of a master (loadgen's or Locust's)"},
    OptionSpec{OptionId::kMasterHost, "master-host", "", "LOCUST_MASTER_NODE_HOST", K::kValue,
               G::kDistributed, "HOST", "The master a worker joins (default 127.0.0.1)"},
    OptionSpec{OptionId::kMasterPort, "master-port", "", "LOCUST_MASTER_NODE_PORT", K::kValue,
               G::kDistributed, "PORT", "The master's port (default 5557)"},
    OptionSpec{OptionId::kEnableRebalancing, "enable-rebalancing", "", "LOCUST_ENABLE_REBALANCING",
               K::kFlag, G::kDistributed, "",
               "Accepted for Locust compatibility: a loadgen master always rebalances the users "
               "when a worker joins or leaves"},

    OptionSpec{OptionId::kLocustfile, "locustfile", "f", "LOCUST_LOCUSTFILE", K::kValue,
               G::kRequest, "FILE",
               "Scenario file: .yaml/.yml (declarative) or .lua (scripted); see "
               "docs/scenario-files.md (default: --scenario)"},
    OptionSpec{OptionId::kScenario, "scenario", "", "LOADGEN_SCENARIO", K::kValue, G::kRequest,
               "NAME",
               "What each user does: astronomy-shop (default: the OpenTelemetry Demo's shop "
               "users) or get (request --path in a loop)"},
    OptionSpec{OptionId::kPeople, "people", "", "LOADGEN_PEOPLE", K::kValue, G::kRequest, "FILE",
               "astronomy-shop: JSON file of checkout customers (default: built-in)"},
    OptionSpec{OptionId::kPath, "path", "", "LOADGEN_PATH", K::kList, G::kRequest, "PATH",
               "Request path starting with '/', repeatable (default /)"},
    OptionSpec{OptionId::kMethod, "method", "", "LOADGEN_METHOD", K::kValue, G::kRequest, "METHOD",
               "GET, POST, PUT, DELETE, PATCH, HEAD or OPTIONS (default GET)"},
    OptionSpec{OptionId::kBody, "body", "", "LOADGEN_BODY", K::kValue, G::kRequest, "STRING",
               "Request body"},
    OptionSpec{OptionId::kBodyFile, "body-file", "", "LOADGEN_BODY_FILE", K::kValue, G::kRequest,
               "FILE", "Read the request body from FILE"},
    OptionSpec{OptionId::kHeader, "header", "", "LOADGEN_HEADER", K::kList, G::kRequest,
               "'NAME: VALUE'", "Extra request header, repeatable"},
    OptionSpec{OptionId::kWaitTime, "wait-time", "", "LOADGEN_WAIT_TIME", K::kValue, G::kRequest,
               "FUNC",
               "constant(S), between(A,B), constant_pacing(S) or constant_throughput(N) "
               "(default: astronomy-shop between(1,10), get constant(0))"},
    OptionSpec{OptionId::kConnectTimeout, "connect-timeout", "", "LOADGEN_CONNECT_TIMEOUT",
               K::kValue, G::kRequest, "DURATION",
               "Connect timeout: 500ms, 1.5s, 2m (default 60s)"},
    OptionSpec{OptionId::kTimeout, "timeout", "", "LOADGEN_TIMEOUT", K::kValue, G::kRequest,
               "DURATION", "Response timeout (default 60s)"},
    OptionSpec{OptionId::kInsecure, "insecure", "", "LOADGEN_INSECURE", K::kFlag, G::kRequest, "",
               "Do not verify TLS certificates"},
    OptionSpec{OptionId::kMaxRedirects, "max-redirects", "", "LOADGEN_MAX_REDIRECTS", K::kValue,
               G::kRequest, "N", "Redirects followed per request, 0 = none (default 30)"},
    OptionSpec{OptionId::kMaxBodySize, "max-body-size", "", "LOADGEN_MAX_BODY_SIZE", K::kValue,
               G::kRequest, "SIZE",
               "Largest response body kept or decompressed: 512KiB, 16MiB, 1GB, 4096 "
               "(bytes); beyond it a request fails as body_too_large (default 16MiB)"},

    OptionSpec{OptionId::kThreads, "threads", "", "LOADGEN_THREADS", K::kValue, G::kLoadgen, "N",
               "Worker threads (default 0 = one per CPU core)"},
    OptionSpec{OptionId::kSeed, "seed", "", "LOADGEN_SEED", K::kValue, G::kLoadgen, "N",
               "Random seed for reproducible runs (default 0 = random)"},
    OptionSpec{OptionId::kFlushTimeout, "flush-timeout", "", "LOADGEN_FLUSH_TIMEOUT", K::kValue,
               G::kLoadgen, "DURATION",
               "At exit, flush traces, metrics and logs together for at most this long; a "
               "second Ctrl-C abandons the flush (default 5s)"},
    OptionSpec{OptionId::kLoopNap, "loop-nap", "", "LOADGEN_LOOP_NAP", K::kValue, G::kLoadgen,
               "DURATION",
               "After a turn that found little to do, a worker thread naps this long so that "
               "its next turn handles several responses at once: fewer wake-ups per request "
               "when the target sets the pace (default 100us; 0 = never; at most 1ms)"},
    OptionSpec{OptionId::kParkAfter, "park-after", "", "LOADGEN_PARK_AFTER", K::kValue, G::kRequest,
               "DURATION",
               "A user about to wait at least this long hands its idle keep-alive connections "
               "back to its worker's pool, so open connections follow the requests in flight, "
               "not the users (default 500ms; 0 = before every wait)"},
    OptionSpec{OptionId::kConnectionPool, "connection-pool", "", "LOADGEN_CONNECTION_POOL",
               K::kValue, G::kRequest, "N",
               "Idle keep-alive connections each worker thread keeps for its users, all origins "
               "(default 4096; 0 = a waiting user closes its connections instead)"},
    OptionSpec{OptionId::kTraceLink, "trace-link", "", "LOADGEN_TRACE_LINK", K::kValue, G::kLoadgen,
               "TEMPLATE",
               "Link from a request name's recent slow trace to a trace UI, with {trace_id}: "
               "http://jaeger:16686/trace/{trace_id}"},

    // Scenario inspection and selection (Locust's -T/-E, -l, --show-task-ratio[-json]).
    OptionSpec{OptionId::kTags, "tags", "T", "LOCUST_TAGS", K::kWords, G::kScenario, "[TAG ...]",
               "Run only the tasks that have at least one of these tags: -T cart checkout "
               "(tags of the built-ins: docs/scenario-files.md)"},
    OptionSpec{OptionId::kExcludeTags, "exclude-tags", "E", "LOCUST_EXCLUDE_TAGS", K::kWords,
               G::kScenario, "[TAG ...]", "Run only the tasks that have none of these tags"},
    OptionSpec{OptionId::kList, "list", "l", "", K::kFlag, G::kScenario, "",
               "Print the scenario's user classes and exit"},
    OptionSpec{OptionId::kShowTaskRatio, "show-task-ratio", "", "", K::kFlag, G::kScenario, "",
               "Print the user classes' task execution ratio (after class selection, -T and "
               "-E) and exit"},
    OptionSpec{OptionId::kShowTaskRatioJson, "show-task-ratio-json", "", "", K::kFlag, G::kScenario,
               "", "Print the task execution ratio as JSON and exit"},
    OptionSpec{OptionId::kThreshold, "threshold", "", "LOADGEN_THRESHOLD", K::kList, G::kLoadgen,
               "EXPR",
               "Pass/fail criterion, repeatable: [NAME:]METRIC OP VALUE, e.g. 'p95<300ms', "
               "'GET /api/cart:failure_ratio<0.01', 'rps>100'; a failed one exits 99; suffix "
               "!abort stops the run when it fails (docs/thresholds.md)"},
    OptionSpec{OptionId::kSummaryJson, "summary-json", "", "LOADGEN_SUMMARY_JSON", K::kValue,
               G::kLoadgen, "FILE",
               "Write {\"stats\": the --json list, \"thresholds\": results} to FILE at the end"},
    OptionSpec{OptionId::kStages, "stages", "", "LOADGEN_STAGES", K::kValue, G::kLoadgen, "STAGES",
               "Users over time, DURATION:USERS[:SPAWN_RATE] per stage: 30s:100,1m:100,30s:0 "
               "moves linearly between targets (k6 ramping-vus); the run stops after the last "
               "(docs/load-models.md)"},
    OptionSpec{OptionId::kArrivalRate, "arrival-rate", "", "LOADGEN_ARRIVAL_RATE", K::kValue,
               G::kLoadgen, "RATE",
               "Open model: start iterations at RATE (N/s or N/m) whether or not earlier ones "
               "finished, from a pool of --max-users users"},
    OptionSpec{OptionId::kArrivalStages, "arrival-stages", "", "LOADGEN_ARRIVAL_STAGES", K::kValue,
               G::kLoadgen, "STAGES",
               "Open model, ramping: DURATION:RATE per stage (10s:50,30s:200); the rate moves "
               "linearly from 0; the run stops after the last"},
    OptionSpec{OptionId::kMaxUsers, "max-users", "", "LOADGEN_MAX_USERS", K::kValue, G::kLoadgen,
               "N",
               "Open model: the most users serving arrivals; an arrival finding none free is "
               "dropped and counted"},
};

constexpr std::size_t kHelpColumn = 32;

void append_row(std::string& out, std::string_view left, std::string_view help,
                std::string_view env) {
  std::string line = fmt::format("  {}", left);
  if (line.size() + 2 > kHelpColumn) {
    out += line + "\n";
    line.clear();
  }
  line.resize(kHelpColumn, ' ');
  out += line + std::string(help) + "\n";
  if (!env.empty()) out += fmt::format("{:{}}[env: {}]\n", "", kHelpColumn, env);
}

std::string_view group_title(OptionGroup g) {
  switch (g) {
    case OptionGroup::kCommon:
      return "Common options (Locust-compatible)";
    case OptionGroup::kRequest:
      return "Request options";
    case OptionGroup::kLoadgen:
      return "loadgen options";
    case OptionGroup::kScenario:
      return "User classes and tasks (Locust-compatible)";
    case OptionGroup::kDistributed:
      return "Distributed runs (Locust-compatible master/worker protocol)";
  }
  return "";
}

}  // namespace

std::span<const OptionSpec> option_specs() { return kSpecs; }

std::string help_text() {
  std::string out =
      "Usage: loadgen [OPTIONS] [UserClass ...]\n\n"
      "An OpenTelemetry-native HTTP load generator with Locust-compatible options.\n";
  for (OptionGroup g : {OptionGroup::kCommon, OptionGroup::kDistributed, OptionGroup::kRequest,
                        OptionGroup::kScenario, OptionGroup::kLoadgen}) {
    out += fmt::format("\n{}:\n", group_title(g));
    if (g == OptionGroup::kCommon) {
      append_row(out, "-h, --help", "Show this help and exit", "");
      append_row(out, "-V, --version", "Show the version and exit", "");
      append_row(out, "--config FILE", "Read options from FILE (locust.conf syntax)", "");
    }
    for (const OptionSpec& s : kSpecs) {
      if (s.group != g) continue;
      std::string left = s.short_name.empty() ? "    " : fmt::format("-{}, ", s.short_name);
      left += fmt::format("--{}", s.long_name);
      if (!s.value_name.empty()) left += fmt::format(" {}", s.value_name);
      append_row(out, left, s.help, s.env_var);
    }
  }
  out +=
      "\nPrecedence: command line > environment > config files > defaults.\n"
      "Config files, later ones winning: ~/.locust.conf, ./locust.conf, --config FILE.\n"
      "Config syntax: one 'key = value' per line, key = long option name (e.g. spawn-rate = 5);\n"
      "a bare key means true; booleans true/false, yes/no, 1/0; lists [a, b]; '#' comments.\n"
      "In the environment, a flag is true with true/yes/1 and a list may be written [a, b].\n"
      "UserClass names (positional, as in Locust) run only those classes of the scenario;\n"
      "put them before -T/-E (which take every word after them) or after --.\n";
  return out;
}

}  // namespace loadgen::app
