// Options: everything loadgen's command line, environment (LOCUST_*, LOADGEN_*) and config files
// (locust.conf) can set, with Locust 2.12's names and precedence. Used by main() only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plan/stages.hpp"

namespace loadgen::app {

struct Options {
  // Locust-compatible (argument_parser.py of Locust 2.12; env vars LOCUST_<NAME>).
  std::string host;                              // -H/--host, LOCUST_HOST
  int users = 1;                                 // -u/--users, LOCUST_USERS (>= 0)
  double spawn_rate = 1;                         // -r/--spawn-rate, LOCUST_SPAWN_RATE (> 0)
  std::optional<std::chrono::seconds> run_time;  // -t/--run-time, LOCUST_RUN_TIME (0: none)
  bool headless = false;                         // --headless, LOCUST_HEADLESS
  bool autostart = false;                        // --autostart, LOCUST_AUTOSTART
  int autoquit = -1;  // --autoquit SECONDS, LOCUST_AUTOQUIT (web mode; -1: serve until a signal)
  std::optional<std::chrono::seconds> stop_timeout;  // -s/--stop-timeout, LOCUST_STOP_TIMEOUT
  std::string loglevel = "INFO";                     // -L/--loglevel, LOCUST_LOGLEVEL (uppercase)
  std::string logfile;                               // --logfile, LOCUST_LOGFILE
  std::string csv_prefix;                            // --csv, LOCUST_CSV
  bool csv_full_history = false;                     // --csv-full-history (requires --csv)
  bool print_stats = false;                          // --print-stats, LOCUST_PRINT_STATS
  bool only_summary = false;                         // --only-summary, LOCUST_ONLY_SUMMARY
  std::string json_file;                             // --json-file, LOCUST_JSON_FILE (newer Locust)
  bool json = false;                                 // --json, LOCUST_JSON (newer Locust)
  std::string html_file;                             // --html FILE, LOCUST_HTML
  int exit_code_on_error = 1;                        // --exit-code-on-error (0..255)
  std::string web_host;                              // --web-host, LOCUST_WEB_HOST
  int web_port = 8089;                               // -P/--web-port, LOCUST_WEB_PORT (0..65535)
  std::string web_auth;                              // --web-auth user:pass, LOCUST_WEB_AUTH
  std::string tls_cert, tls_key;  // --tls-cert/--tls-key (PEM files): the web UI over HTTPS
  bool reset_stats = false;       // --reset-stats, LOCUST_RESET_STATS
  // loadgen's own (env vars LOADGEN_<NAME>, e.g. LOADGEN_THREADS).
  int threads = 0;                          // --threads N (0 = one per core)
  std::string scenario = "astronomy-shop";  // --scenario NAME ([a-z0-9-]+; main validates)
  std::string locustfile;   // -f/--locustfile FILE (LOCUST_LOCUSTFILE): a scenario file; wins over
                            // --scenario
  std::string people_file;  // --people FILE (astronomy-shop customers)
  std::vector<std::string> paths;    // --path P, repeatable; default {"/"}
  std::string method = "GET";        // --method (uppercase)
  std::string body;                  // --body STRING or --body-file FILE
  std::vector<std::string> headers;  // --header "Name: value", repeatable
  std::string wait_time;  // --wait-time, valid for scenario::parse_wait_time; empty: scenario's
  std::chrono::milliseconds connect_timeout{60000};       // --connect-timeout (duration syntax)
  std::chrono::milliseconds timeout{60000};               // --timeout (response timeout)
  bool insecure = false;                                  // --insecure (no TLS verification)
  int max_redirects = 30;                                 // --max-redirects (>= 0)
  std::uint64_t max_body_size = std::uint64_t{16} << 20;  // --max-body-size (bytes, > 0)
  std::uint64_t seed = 0;                                 // --seed (0 = random)
  std::chrono::milliseconds flush_timeout{5000};          // --flush-timeout: final telemetry flush
  std::chrono::nanoseconds loop_nap{100000};              // --loop-nap (0 = never; <= 1ms)
  std::chrono::nanoseconds park_after{500'000'000};       // --park-after (docs/connections.md)
  int connection_pool = 4096;                             // --connection-pool (0: close instead)
  std::string trace_link;   // --trace-link TEMPLATE with {trace_id} (slow traces' links)
  std::string config_file;  // --config FILE (informational)
  // Which classes and tasks run, and looking at them instead of running (Locust 2.12's names).
  std::vector<std::string> user_classes;  // positional UserClass names; empty: every class
  std::vector<std::string> tags;          // -T/--tags TAG..., LOCUST_TAGS; empty: no filter
  std::vector<std::string> exclude_tags;  // -E/--exclude-tags TAG..., LOCUST_EXCLUDE_TAGS
  bool list_user_classes = false;         // -l/--list: print the classes, exit 0
  bool show_task_ratio = false;           // --show-task-ratio: print the ratio tables, exit 0
  bool show_task_ratio_json = false;      // --show-task-ratio-json: the same as JSON, exit 0
  bool users_given = false;  // -u came from some source (Locust's num_users is then not None)
  // --threshold EXPR, repeatable (LOADGEN_THRESHOLD "[a, b]"): validated stats::Threshold
  // expressions, added to the scenario file's; thresholds_origin names where they came from.
  std::vector<std::string> thresholds;
  std::string thresholds_origin;
  std::string summary_json;  // --summary-json FILE: stats list + threshold results
  // Load models (docs/load-models.md); empty/unset: the scenario file's, else -u/-r.
  std::vector<plan::Stage> stages;          // --stages (LOADGEN_STAGES)
  std::optional<double> arrival_rate;       // --arrival-rate, iterations/s
  std::vector<plan::Stage> arrival_stages;  // --arrival-stages, targets in iterations/s
  std::optional<std::int64_t> max_users;    // --max-users (the open model's pool)
  // Distributed runs (Locust 2.12's names; docs/distributed.md).
  bool master = false;                 // --master, LOCUST_MODE_MASTER
  std::string master_bind_host = "*";  // --master-bind-host, LOCUST_MASTER_BIND_HOST
  int master_bind_port = 5557;         // --master-bind-port, LOCUST_MASTER_BIND_PORT
  int expect_workers = 1;              // --expect-workers, LOCUST_EXPECT_WORKERS (>= 1)
  std::chrono::seconds expect_workers_max_wait{0};  // --expect-workers-max-wait (0: forever)
  bool worker = false;                              // --worker, LOCUST_MODE_WORKER
  std::string master_host = "127.0.0.1";            // --master-host, LOCUST_MASTER_NODE_HOST
  int master_port = 5557;                           // --master-port, LOCUST_MASTER_NODE_PORT
};

struct ParseResult {
  enum class Action { kRun, kExit } action = Action::kRun;
  int exit_code = 0;  // for kExit: 0 for --help/--version, 2 for usage errors
  std::string
      output;  // what to print: help text, version, or errors + "Run with --help for usage."
  Options options;
  // For kRun: problems that do not stop the run (unsupported LOCUST_* variables), to log once.
  std::vector<std::string> warnings;
};

// Exit code for usage errors (argparse's, which Locust inherits).
inline constexpr int kUsageExitCode = 2;

// Parses argv (as given to main), then `env` (the process environment), then config files
// (--config FILE, ./locust.conf relative to the process cwd, ~/.locust.conf with HOME from `env`).
// Precedence is CLI > env > --config > ./locust.conf > ~/.locust.conf > default, as in Locust.
// Every problem is reported at once in `output`, one per line, naming the option and its source.
ParseResult parse_options(int argc, const char* const* argv,
                          const std::map<std::string, std::string>& env);

// The worker threads a run uses: --threads, or one per core.
int worker_threads(const Options& o);

}  // namespace loadgen::app
