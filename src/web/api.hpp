// The web mode's REST API: Locust 2.12's routes (web.py) with its paths, form fields and JSON
// shapes, as handlers over an engine::Runner (they post commands and read snapshots, never touch
// the engine). Served by web::WebServer; also callable directly (tests).
// Thread: the handlers run on the server's loop thread; the Runner's methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/runner.hpp"
#include "report/csv.hpp"
#include "server/message.hpp"
#include "server/router.hpp"
#include "stats/history.hpp"

namespace loadgen::web {

struct ApiSettings {
  std::string host;  // the target (-H) as configured; /swarm answers it as "host"
  // Wall seconds since the epoch, for the CSV attachment names (Locust: requests_<time()>.csv).
  std::function<double()> wall_now;
  // The --csv-full-history file GET /stats/requests_full_history/csv serves ("" = 404, as
  // Locust without --csv-full-history).
  std::string history_csv_path;
  // Called (on the server's thread) with the seconds of a /swarm "run_time" field: the driver
  // stops the run that long after. Null: a run_time field is refused.
  std::function<void(std::chrono::seconds)> on_run_time;
  // With the Prometheus exporter on: GET /metrics answers this text (thread-safe). Null: 404.
  std::function<std::string()> metrics;
  // The web UI's routes (web/ui_routes.hpp). GET /stats/history: the run's time series after a
  // sequence number (stats::History::since; thread-safe); null: an empty series.
  std::function<stats::History::Slice(std::uint64_t since)> history;
  // GET /stats/loadgen: the scenario's users flag ("" = none) and the --trace-link template
  // ("" = none), which GET /stats/slow_traces answers too.
  std::string users_flag;
  std::string trace_link;
  // GET /stats/loadgen: -u and -r, which the page's forms start from (as Locust's do).
  std::int64_t users = 1;
  double spawn_rate = 1;
  // GET /stats/report answers this HTML report (thread-safe). Null: 404.
  std::function<std::string()> html_report = nullptr;
  // GET /stats/loadgen's "thresholds": a JSON array (report::thresholds_json; thread-safe).
  // Null: [].
  std::function<std::string()> thresholds = nullptr;
};

// Adds the web UI's routes (web/ui_routes.hpp: GET /, /assets/<file>, /stats/history,
// /stats/loadgen) and Locust's: POST /swarm, GET /stop, GET /stats/reset, GET /stats/requests,
// GET /stats/requests/csv, GET /stats/requests_full_history/csv, GET /stats/failures/csv,
// GET /exceptions, GET /exceptions/csv, GET /stats/slow_traces, GET /stats/report (when
// settings.html_report is set) and GET /metrics (when settings.metrics is set).
// `runner` must outlive the router.
void add_api_routes(server::Router& router, engine::Runner& runner, ApiSettings settings);

// application/x-www-form-urlencoded (WHATWG URL §5.1): '&'-separated name=value pairs, '+' as
// space, %XX decoded. Null on a '%' not followed by two hex digits.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view body);

// True when `req` carries `Authorization: Basic <base64(credentials)>` (RFC 7617), compared in
// constant time for a given length; `credentials` is "user:pass".
bool basic_auth_ok(const server::Request& req, std::string_view credentials);

// The engine's exceptions as Locust's table rows (the --csv file and /exceptions), most
// frequent first.
std::vector<report::ExceptionRow> exception_rows(const engine::ExceptionCounts& counts);

// The body of GET /stats/requests for a snapshot (JSON, keys sorted as Flask's jsonify does);
// the current percentiles are over about the 10 s before now_wall (epoch seconds).
std::string stats_requests_json(const engine::RunnerSnapshot& s, double now_wall);

}  // namespace loadgen::web
