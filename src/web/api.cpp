#include "web/api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/html_escape.hpp"
#include "core/timespan.hpp"
#include "report/number_format.hpp"
#include "report/slow_traces.hpp"
#include "stats/aggregate.hpp"
#include "web/ui_routes.hpp"

namespace loadgen::web {

namespace {

using nlohmann::json;

using core::html_escape;

// One row of "stats" (web.py request_stats, Locust 2.12); min and max through proper_round.
// The total's method is null until the first start and "" after it, as Locust's (stats.py:
// RequestStats.__init__ makes it with None, clear_all at every start with "").
json stats_row(const stats::Aggregate& a, const stats::Entry& e, bool total, bool started) {
  const bool any = e.num_requests > 0;
  json row;
  row["method"] = !total ? json(e.method) : started ? json("") : json(nullptr);
  row["name"] = e.name;
  row["safe_name"] = html_escape(e.name, false);
  row["num_requests"] = e.num_requests;
  row["num_failures"] = e.num_failures;
  row["avg_response_time"] = e.avg_response_time_ms();
  // proper_round gives a float (1.0); a row without requests has the int 0 for min.
  row["min_response_time"] =
      any ? json(static_cast<double>(report::detail::round_ms(e.min_response_time_ms()))) : json(0);
  row["max_response_time"] =
      static_cast<double>(report::detail::round_ms(e.max_response_time_ms()));
  // Locust answers the int 0 for the rates before any request, and for avg_content_length of
  // a row without requests (stats.py current_rps, avg_content_length).
  const bool no_request_yet = a.total().last_request_timestamp == 0;
  row["current_rps"] = no_request_yet ? json(0) : json(a.current_rps(e));
  row["current_fail_per_sec"] = no_request_yet ? json(0) : json(a.current_fail_per_sec(e));
  row["median_response_time"] = report::detail::round_ms(e.median_response_time_ms());
  row["ninetieth_response_time"] = any ? report::detail::round_ms(e.percentile_ms(0.9)) : 0;
  row["ninety_ninth_response_time"] = any ? report::detail::round_ms(e.percentile_ms(0.99)) : 0;
  // Not in Locust 2.12; later Locust releases name their percentile keys so (the page's 95th).
  row["response_time_percentile_0.95"] = any ? report::detail::round_ms(e.percentile_ms(0.95)) : 0;
  row["avg_content_length"] = any ? json(e.avg_content_length()) : json(0);
  return row;
}

server::Response json_response(const json& j, int status = 200) {
  server::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = j.dump() + "\n";
  return r;
}

server::Response csv_response(std::string body, std::string_view prefix, double now) {
  server::Response r;
  r.content_type = "text/csv";
  r.body = std::move(body);
  r.headers.emplace_back("Content-Disposition",
                         fmt::format("attachment;filename={}_{}.csv", prefix, now));
  return r;
}

server::Response swarm_error(std::string message, const std::string& host) {
  return json_response(json{{"success", false}, {"message", std::move(message)}, {"host", host}},
                       400);
}

bool parse_int(std::string_view v, std::int64_t& out) {
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && !v.empty();
}

bool parse_double(std::string_view v, double& out) {
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && !v.empty() && std::isfinite(out);
}

// POST /swarm: user_count (int >= 0) and spawn_rate (float > 0) are required, as Locust's form
// always sends them; host may only repeat the configured target (loadgen cannot retarget a
// built run yet). Starts, or changes the user count of, a run; after a stop, starts a new one.
server::Response swarm(engine::Runner& runner, const ApiSettings& s, const server::Request& req) {
  const auto form = parse_form(req.body);
  if (!form) return swarm_error("the form is not valid application/x-www-form-urlencoded", s.host);
  std::optional<std::int64_t> users;
  std::optional<double> rate;
  std::optional<std::chrono::seconds> run_time;
  for (const auto& [key, value] : *form) {
    if (key == "user_count") {
      std::int64_t n = 0;
      if (!parse_int(value, n) || n < 0) {
        return swarm_error(fmt::format("user_count '{}' is not a whole number >= 0", value),
                           s.host);
      }
      users = n;
    } else if (key == "spawn_rate") {
      double d = 0;
      if (!parse_double(value, d) || d <= 0) {
        return swarm_error(fmt::format("spawn_rate '{}' is not a number > 0", value), s.host);
      }
      rate = d;
    } else if (key == "run_time") {
      if (value.empty()) continue;  // Locust: an empty field means none
      auto t = core::parse_timespan(value, "run_time");
      if (!t || !s.on_run_time) {
        // Locust 2.12's message for a bad run_time.
        return swarm_error(
            t ? "run_time is not supported here"
              : "Valid run_time formats are : 20, 20s, 3m, 2h, 1h20m, 3h30m10s, etc.",
            s.host);
      }
      run_time = *t;
    } else if (key == "host") {
      std::string h = value;
      std::erase_if(h, [](char c) { return c == '<' || c == '>'; });  // Locust's XSS guard
      if (!h.empty() && h != s.host) {
        return swarm_error(
            fmt::format("host '{}': loadgen cannot change the target of a run; restart it with "
                        "-H (the target is '{}')",
                        h, s.host),
            s.host);
      }
    }
  }
  if (!users) return swarm_error("user_count is missing", s.host);
  if (!rate) return swarm_error("spawn_rate is missing", s.host);
  switch (runner.state()) {
    case engine::RunState::kReady:
    case engine::RunState::kStopping:  // Locust's start() after a stop: a new run
    case engine::RunState::kStopped:
      runner.start(*users, *rate);
      break;
    case engine::RunState::kSpawning:
    case engine::RunState::kRunning:
      runner.set_users(*users, *rate);
      break;
  }
  json answer{{"success", true}, {"message", "Swarming started"}, {"host", s.host}};
  if (run_time && run_time->count() > 0) {
    s.on_run_time(*run_time);
    answer["run_time"] = run_time->count();
  }
  return json_response(answer);
}

json exceptions_json(const engine::RunnerSnapshot& snap) {
  json list = json::array();
  if (snap.exceptions) {
    for (const report::ExceptionRow& r : exception_rows(*snap.exceptions)) {
      list.push_back(json{{"count", r.count},
                          {"msg", html_escape(r.message, true)},
                          {"traceback", html_escape(r.traceback, true)},
                          {"nodes", r.nodes}});
    }
  }
  return json{{"exceptions", std::move(list)}};
}

// GET /stats/report[?download=1] (Locust web.py: any non-empty `download` makes it an
// attachment; Locust names it report_<time>.html).
server::Response html_report(const ApiSettings& s, const server::Request& req, double now) {
  server::Response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = s.html_report();
  const auto form = parse_form(req.query);
  const bool download = form && std::any_of(form->begin(), form->end(), [](const auto& kv) {
                          return kv.first == "download" && !kv.second.empty();
                        });
  if (download) {
    r.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"loadgen_report_{}.html\"",
                                       static_cast<std::int64_t>(now)));
  }
  return r;
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view body) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const auto decode = [&](std::string_view in, std::string& out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '+') {
        out += ' ';
      } else if (in[i] == '%') {
        if (i + 2 >= in.size()) return false;
        const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        out += in[i];
      }
    }
    return true;
  };
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view part = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    std::string name, value;
    if (!decode(part.substr(0, eq), name)) return std::nullopt;
    if (eq != std::string_view::npos && !decode(part.substr(eq + 1), value)) return std::nullopt;
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

bool basic_auth_ok(const server::Request& req, std::string_view credentials) {
  std::string_view v = req.header("authorization");
  const std::size_t sp = v.find(' ');
  if (sp == std::string_view::npos || !server::iequals(v.substr(0, sp), "basic")) return false;
  v = v.substr(sp + 1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  const std::string want = core::base64_encode(credentials);
  // Constant time over the expected token: every byte is compared whatever differs first.
  unsigned diff = v.size() == want.size() ? 0u : 1u;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const char got = i < v.size() ? v[i] : '\0';
    diff |= static_cast<unsigned char>(got ^ want[i]);
  }
  return diff == 0;
}

std::vector<report::ExceptionRow> exception_rows(const engine::ExceptionCounts& counts) {
  std::vector<report::ExceptionRow> rows;
  for (const auto& [key, n] : counts) {
    const auto& [cls, task, msg] = key;
    rows.push_back(report::ExceptionRow{
        n, msg, fmt::format("in task {} of user class {}", task, cls), "local"});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  return rows;
}

std::string stats_requests_json(const engine::RunnerSnapshot& s, double now_wall) {
  // Until the runner's first collection there is nothing merged: an empty aggregate.
  static const stats::Aggregate kEmpty;
  const stats::Aggregate& a = s.stats ? *s.stats : kEmpty;
  json rows = json::array();
  const auto entries = a.entries();
  // Locust lists at most 500 rows and then the total.
  for (std::size_t i = 0; i < entries.size() && i < 500; ++i) {
    rows.push_back(stats_row(a, *entries[i], false, true));
  }
  rows.push_back(stats_row(a, a.total(), true, s.state != engine::RunState::kReady));
  json errors = json::array();
  for (const stats::ErrorRow& e : a.errors().rows()) {
    if (errors.size() == 500) break;
    errors.push_back(json{{"method", e.method},
                          {"name", html_escape(e.name, true)},
                          {"error", html_escape(e.error, true)},
                          {"occurrences", e.occurrences}});
  }
  const stats::Entry& t = a.total();
  // Locust's get_current_response_time_percentile: over about the last 10 s before now.
  const auto pct = [&](double q) {
    const auto ms = a.current_percentile_ms(q, now_wall);
    return ms ? json(report::detail::round_ms(*ms)) : json(nullptr);
  };
  json j;
  j["stats"] = std::move(rows);
  j["errors"] = std::move(errors);
  j["total_rps"] = t.last_request_timestamp == 0 ? json(0) : json(a.current_rps(t));
  j["fail_ratio"] = t.fail_ratio();
  j["current_response_time_percentile_95"] = pct(0.95);
  j["current_response_time_percentile_50"] = pct(0.5);
  j["state"] = std::string(engine::to_string(s.state));
  j["user_count"] = s.user_count;
  // The open model only (docs/load-models.md): arrivals that found no free user.
  if (s.iterations_dropped) j["iterations_dropped"] = *s.iterations_dropped;
  if (s.workers) {  // a master's (Locust's shape); worker_count as Locust's page shows it
    json workers = json::array();
    for (const engine::NodeRow& w : *s.workers) {
      workers.push_back(json{{"id", html_escape(w.id, true)},
                             {"state", w.state},
                             {"user_count", w.user_count},
                             {"cpu_usage", w.cpu_usage},
                             {"memory_usage", w.memory_usage}});
    }
    j["worker_count"] = workers.size();
    j["workers"] = std::move(workers);
  }
  return j.dump() + "\n";
}

void add_api_routes(server::Router& router, engine::Runner& runner, ApiSettings settings) {
  auto s = std::make_shared<const ApiSettings>(std::move(settings));
  const auto now = [s] { return s->wall_now ? s->wall_now() : 0.0; };
  add_ui_routes(router, runner, s);
  router.add("POST", "/swarm",
             [&runner, s](const server::Request& req) { return swarm(runner, *s, req); });
  if (s->metrics) {
    // The Prometheus exposition on the web port too (issue 11); the same text as the
    // exporter's own port.
    router.add("GET", "/metrics", [s](const server::Request&) {
      server::Response r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = s->metrics();
      return r;
    });
  }
  router.add("GET", "/stop", [&runner](const server::Request&) {
    runner.stop();
    return json_response(json{{"success", true}, {"message", "Test stopped"}});
  });
  router.add("GET", "/stats/reset", [&runner](const server::Request&) {
    runner.reset_stats();
    server::Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = "ok";
    return r;
  });
  router.add("GET", "/stats/requests", [&runner, now](const server::Request&) {
    server::Response r;
    r.body = stats_requests_json(runner.snapshot(), now());
    return r;
  });
  router.add("GET", "/stats/requests/csv", [&runner, now](const server::Request&) {
    const engine::RunnerSnapshot snap = runner.snapshot();
    return csv_response(report::format_stats_csv(snap.stats ? *snap.stats : stats::Aggregate{}),
                        "requests", now());
  });
  router.add("GET", "/stats/requests_full_history/csv", [s, now](const server::Request&) {
    std::ifstream in(s->history_csv_path, std::ios::binary);
    if (s->history_csv_path.empty() || !in) {
      server::Response r;
      r.status = 404;
      r.content_type = "text/html; charset=utf-8";
      r.body = "Error: Server was not started with option to generate full history.";
      return r;
    }
    return csv_response(
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
        "requests_full_history", now());
  });
  router.add("GET", "/stats/failures/csv", [&runner, now](const server::Request&) {
    const engine::RunnerSnapshot snap = runner.snapshot();
    return csv_response(report::format_failures_csv(snap.stats ? *snap.stats : stats::Aggregate{}),
                        "failures", now());
  });
  if (s->html_report) {
    router.add("GET", "/stats/report",
               [s, now](const server::Request& req) { return html_report(*s, req, now()); });
  }
  router.add("GET", "/stats/slow_traces", [&runner, s](const server::Request&) {
    const engine::RunnerSnapshot snap = runner.snapshot();
    server::Response r;
    r.body = report::slow_traces_json(snap.stats ? *snap.stats : stats::Aggregate{}, s->trace_link);
    return r;
  });
  router.add("GET", "/exceptions", [&runner](const server::Request&) {
    return json_response(exceptions_json(runner.snapshot()));
  });
  router.add("GET", "/exceptions/csv", [&runner, now](const server::Request&) {
    const engine::RunnerSnapshot snap = runner.snapshot();
    return csv_response(
        report::format_exceptions_csv(snap.exceptions ? exception_rows(*snap.exceptions)
                                                      : std::vector<report::ExceptionRow>{}),
        "exceptions", now());
  });
}

}  // namespace loadgen::web
