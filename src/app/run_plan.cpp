#include "app/run_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "core/strings.hpp"
#include "core/timespan.hpp"
#include "flags/ofrep_config.hpp"
#include "http/method.hpp"
#include "http/url.hpp"
#include "plan/arrival_schedule.hpp"
#include "scenario/file.hpp"
#include "scenario/tags.hpp"

namespace loadgen::app {

namespace {

// An enum variable in the OTel env-var style (case-insensitive; empty = unset): its value in
// lowercase, one of `values`; "" when unset or invalid (a problem then says what was expected).
std::string env_choice(const std::map<std::string, std::string>& env, const std::string& name,
                       std::initializer_list<std::string_view> values, std::string_view expected,
                       std::vector<std::string>& problems) {
  const auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return {};
  std::string v = core::ascii_lowercase(it->second);
  if (std::find(values.begin(), values.end(), v) != values.end()) return v;
  problems.push_back(fmt::format("{}='{}' (environment): expected {}", name, it->second, expected));
  return {};
}

// The built-in scenarios' settings from the options (and LOCUST_HTTP_USER_WEIGHT).
scenario::BuiltinSettings builtin_settings(const Options& o,
                                           const std::map<std::string, std::string>& env,
                                           std::vector<std::string>& problems) {
  scenario::BuiltinSettings bs;
  if (!o.paths.empty()) bs.get.paths = o.paths;
  bs.get.method = http::parse_method(o.method).value_or(http::Method::kGet);
  bs.get.body = o.body;
  bs.get.json_body = !o.body.empty() && (o.body.front() == '{' || o.body.front() == '[');
  if (!o.wait_time.empty()) {
    if (auto wait = scenario::parse_wait_time(o.wait_time)) {
      bs.get.wait_time = *wait;
      bs.shop_wait_time = *wait;
    } else {
      problems.push_back(wait.error().message);
    }
  }
  if (auto it = env.find("LOCUST_HTTP_USER_WEIGHT"); it != env.end() && !it->second.empty()) {
    // The demo's weight of its HTTP user class (its browser user class has the rest).
    char* end = nullptr;
    const long w = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0' || w < 1 || w > 1000) {
      problems.push_back(fmt::format(
          "LOCUST_HTTP_USER_WEIGHT='{}' (environment): not an integer in 1..1000", it->second));
    } else {
      bs.shop_user_weight = static_cast<unsigned>(w);
    }
  }
  bs.people_file = o.people_file;
  // Cards that expired before this month are rejected (the demo's payment service refuses them).
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  bs.today = scenario::YearMonth{utc.tm_year + 1900, utc.tm_mon + 1};
  return bs;
}

// What the users' requests need of the traces configuration.
scenario::TraceSettings trace_settings(const otel::TracesConfig& traces, bool nested_task_spans) {
  scenario::TraceSettings ts;
  ts.sampler = traces.sampler;
  ts.sdk_disabled = traces.sdk_disabled;
  ts.limits = traces.limits;
  ts.nested_task_spans = nested_task_spans;
  ts.propagation = client::Propagation{false, false, false, false};
  for (auto p : traces.propagators) {
    switch (p) {
      case otel::Propagator::kTraceContext:
        ts.propagation.tracecontext = true;
        break;
      case otel::Propagator::kBaggage:
        ts.propagation.baggage = true;
        break;
      case otel::Propagator::kB3:
        ts.propagation.b3 = true;
        break;
      case otel::Propagator::kB3Multi:
        ts.propagation.b3multi = true;
        break;
    }
  }
  return ts;
}

// A signal's configuration, or nullopt with its error added to `problems`.
template <class Config>
std::optional<Config> config_or_problem(core::Result<Config> r,
                                        std::vector<std::string>& problems) {
  if (!r) {
    problems.push_back(r.error().message);
    return std::nullopt;
  }
  return std::move(*r);
}

// The options every worker's client and the engine take as they are.
void apply_run_options(const Options& o, engine::EngineConfig& cfg) {
  cfg.threads = worker_threads(o);
  cfg.loop_nap = o.loop_nap;
  cfg.client.park_after = o.park_after;
  cfg.client.idle_pool_capacity = static_cast<std::size_t>(o.connection_pool);
  cfg.client.connect_timeout = o.connect_timeout;
  cfg.client.timeout = o.timeout;
  cfg.client.max_redirects = o.max_redirects;
  cfg.client.max_body_size = static_cast<std::size_t>(o.max_body_size);
  for (const auto& h : o.headers) {
    const auto colon = h.find(':');
    std::string value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    cfg.client.default_headers.emplace_back(h.substr(0, colon), std::move(value));
  }
  cfg.tls.verify = !o.insecure;
  cfg.seed = o.seed;
  if (o.stop_timeout) cfg.stop_timeout = *o.stop_timeout;
}

// The request metrics the workers record; with a Prometheus exporter the configuration is
// brought to what the text format can carry (cumulative; no exponential histograms), said once.
engine::RequestMetricsConfig request_metrics(otel::MetricsConfig& m, bool request_name, Log& log) {
  const auto& kinds = m.exporters.kinds;
  const bool prometheus =
      std::find(kinds.begin(), kinds.end(), otel::ExporterKind::kPrometheus) != kinds.end();
  if (prometheus && m.temporality != otel::metrics::TemporalityPreference::kCumulative) {
    log.warning(
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: Prometheus needs cumulative "
        "metrics; every exporter gets cumulative temporality");
    m.temporality = otel::metrics::TemporalityPreference::kCumulative;
  }
  if (prometheus &&
      m.histogram_aggregation == otel::metrics::HistogramAggregation::kBase2Exponential) {
    log.warning(
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=base2_exponential_bucket_"
        "histogram: "
        "the Prometheus text format has no exponential histograms; /metrics leaves "
        "http.client.request.duration out");
  }
  return engine::RequestMetricsConfig{.aggregation = m.histogram_aggregation,
                                      .exemplar_filter = m.exemplar_filter,
                                      .temporality = m.temporality,
                                      .request_name = request_name};
}

}  // namespace

void apply_load_model(const Options& o, const scenario::Scenario& sc, RunPlan& plan,
                      std::vector<std::string>& problems) {
  const bool cli_model = !o.stages.empty() || o.arrival_rate || !o.arrival_stages.empty();
  const auto& file = sc.load;
  const std::vector<plan::Stage>& stages = cli_model ? o.stages : file.stages;
  const std::optional<double> rate = cli_model ? o.arrival_rate : file.arrival_rate;
  const std::vector<plan::Stage>& arrival_stages =
      cli_model ? o.arrival_stages : file.arrival_stages;
  const std::optional<std::int64_t> max_users = o.max_users ? o.max_users : file.max_users;
  const std::string from = cli_model ? "" : fmt::format(" ({})", sc.source_file);
  // A distributed run is the -u/-r closed model (docs/distributed.md); the options already
  // refused a load model on the command line, so what is left is the scenario file's.
  const bool file_model =
      !file.stages.empty() || file.arrival_rate || !file.arrival_stages.empty() || file.max_users;
  if ((o.master || o.worker) && file_model) {
    if (o.master) {
      problems.push_back(fmt::format(
          "the scenario file{} has a load: section (stages, arrival rate or max users), which a "
          "distributed run does not support yet: remove it and use -u/-r on the master "
          "(docs/distributed.md)",
          from));
    }
    return;  // a worker: the master sets the load; the file's section does not apply
  }
  if (!stages.empty() && (rate || !arrival_stages.empty())) {
    problems.push_back(fmt::format(
        "the scenario file{} sets both stages and an arrival rate: the closed and the open model "
        "cannot be used together",
        from));
    return;
  }
  if (rate && !arrival_stages.empty()) {
    problems.push_back(fmt::format(
        "the scenario file{} sets both arrival_rate and arrival_stages: use one", from));
    return;
  }
  if (o.max_users && !rate && arrival_stages.empty()) {
    // Whether the closed model comes from the command line, the file's stages or -u.
    problems.push_back(
        "--max-users: only the open model has a pool of users; add --arrival-rate or "
        "--arrival-stages (or use -u for the closed model)");
    return;
  }
  // The file's values were not read by plan's parsers: the same bounds (the command line's
  // already passed them).
  if (!cli_model) {
    std::vector<std::string> bad = plan::stage_bound_problems(stages, plan::StageKind::kUsers);
    for (auto& p : plan::stage_bound_problems(arrival_stages, plan::StageKind::kArrivalRate))
      bad.push_back(std::move(p));
    if (rate) {
      if (std::string p = plan::arrival_rate_problem(*rate); !p.empty())
        bad.push_back(fmt::format("arrival_rate {:g} is {}", *rate, p));
    }
    for (auto& p : bad) problems.push_back(fmt::format("the scenario file{}: {}", from, p));
    if (!bad.empty()) return;
  }
  if (!stages.empty()) {
    plan.stages = stages;
    plan.load_summary = fmt::format("Load shape: {} stages over {:g} s{}", stages.size(),
                                    plan::total_duration_s(stages), from);
    return;
  }
  if (!rate && arrival_stages.empty()) return;
  // An iteration is one task; a nested task set runs until interrupted and would hold a pooled
  // user for good.
  for (const auto& c : sc.user_classes) {
    for (const auto& t : c.tasks) {
      if (t.set) {
        problems.push_back(fmt::format(
            "the open model runs one task per iteration; user class '{}' task '{}' is a task set "
            "(it runs until interrupted): use the closed model (-u or --stages), or make its "
            "tasks top-level tasks",
            c.name, t.name));
      }
    }
  }
  if (!max_users) {
    problems.push_back(fmt::format(
        "{} needs --max-users (LOADGEN_MAX_USERS, or max_users in the scenario file): the most "
        "users that serve the arrivals",
        rate ? "--arrival-rate" : "--arrival-stages"));
    return;
  }
  engine::ArrivalConfig a;
  a.max_users = *max_users;
  if (rate) {
    a.schedule =
        std::make_shared<const plan::ArrivalSchedule>(plan::ArrivalSchedule::constant(*rate));
    plan.load_summary = fmt::format(
        "Arrival rate: {:g} iterations/s from a pool of at most {} "
        "users{}",
        *rate, *max_users, from);
  } else {
    a.schedule = std::make_shared<const plan::ArrivalSchedule>(
        plan::ArrivalSchedule::ramping(arrival_stages));
    plan.load_summary = fmt::format(
        "Arrival stages: {} stages over {:g} s from a pool of at most {} users{}",
        arrival_stages.size(), plan::total_duration_s(arrival_stages), *max_users, from);
  }
  plan.cfg.arrivals = std::move(a);
}

namespace {

// Each distinct line once, in order (shared variables such as OTEL_EXPORTER_OTLP_HEADERS are
// read once per signal and fail every signal in the same words).
std::vector<std::string> distinct(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

}  // namespace

std::optional<scenario::Scenario> load_scenario(const Options& o,
                                                const std::map<std::string, std::string>& env,
                                                std::vector<std::string>& problems) {
  const scenario::BuiltinSettings bs = builtin_settings(o, env, problems);
  auto sc = o.locustfile.empty()
                ? scenario::make_builtin_scenario(o.scenario, bs)
                : scenario::load_scenario_file(o.locustfile, scenario::FileSettings{bs.today});
  if (!sc) {
    problems.push_back(sc.error().hint.empty() ? sc.error().message
                                               : sc.error().message + " (" + sc.error().hint + ")");
    return std::nullopt;
  }
  if (!o.locustfile.empty() && bs.shop_wait_time) {
    // --wait-time overrides every class of a scenario file, as it does the built-ins'.
    for (auto& cls : sc->user_classes) cls.wait_time = *bs.shop_wait_time;
  }
  return std::move(*sc);
}

std::vector<std::string> select_classes_and_tasks(scenario::Scenario& sc, const Options& o,
                                                  std::vector<std::string>& problems, Log& log) {
  if (!o.user_classes.empty()) {
    std::vector<std::string> missing;
    for (const std::string& name : o.user_classes) {
      const bool known = std::any_of(sc.user_classes.begin(), sc.user_classes.end(),
                                     [&](const scenario::UserClass& c) { return c.name == name; });
      if (!known && std::find(missing.begin(), missing.end(), name) == missing.end())
        missing.push_back(name);
    }
    if (!missing.empty()) {
      std::vector<std::string> available;
      for (const auto& c : sc.user_classes) available.push_back(c.name);
      // Locust 2.12: "Unknown User(s): X" (exit 1 there; a usage error, exit 2, here).
      problems.push_back(
          fmt::format("Unknown User(s): {} (the scenario's user classes: {}; "
                      "see --list)",
                      fmt::join(missing, ", "), fmt::join(available, ", ")));
      return {};
    }
    std::erase_if(sc.user_classes, [&](const scenario::UserClass& c) {
      return std::find(o.user_classes.begin(), o.user_classes.end(), c.name) ==
             o.user_classes.end();
    });
  }
  const scenario::TagSelection sel{o.tags, o.exclude_tags};
  const std::vector<std::string> tags = scenario::all_tags(sc.user_classes);
  std::vector<std::string> emptied = scenario::filter_by_tags(sc.user_classes, sel);
  for (const std::string& name : emptied) {
    std::string filter;
    if (!sel.tags.empty()) filter = fmt::format("-T {}", fmt::join(sel.tags, " "));
    if (!sel.exclude_tags.empty()) {
      filter +=
          fmt::format("{}-E {}", filter.empty() ? "" : ", ", fmt::join(sel.exclude_tags, " "));
    }
    log.warning(
        "{} had no tasks left after filtering by tags ({}); its users will fail every task they "
        "pick, as in Locust (the scenario's tags: {})",
        name, filter,
        tags.empty() ? std::string("none") : fmt::format("{}", fmt::join(tags, ", ")));
  }
  return emptied;
}

std::vector<stats::Threshold> plan_thresholds(const Options& o, const scenario::Scenario& sc,
                                              std::vector<std::string>& problems) {
  std::vector<stats::Threshold> out;
  for (const scenario::Scenario::Threshold& t : sc.thresholds) {
    auto parsed =
        stats::parse_threshold(t.expression, t.origin.empty() ? sc.source_file : t.origin);
    if (!parsed) {
      problems.push_back(parsed.error().message);
      continue;
    }
    parsed->abort_on_fail = parsed->abort_on_fail || t.abort_on_fail;
    out.push_back(std::move(*parsed));
  }
  for (const std::string& t : o.thresholds) {
    auto parsed = stats::parse_threshold(t, o.thresholds_origin);
    if (!parsed) {
      problems.push_back(parsed.error().message);  // validated by parse_options already
      continue;
    }
    out.push_back(std::move(*parsed));
  }
  return out;
}

std::optional<RunPlan> plan_run(const Options& o, const std::map<std::string, std::string>& env,
                                Log& log) {
  // ---- build the run from the options (errors here are usage errors, exit 2) ----
  std::vector<std::string> problems;
  // loadgen's own telemetry switches (docs/metrics.md, README "Traces"): an enum and a boolean
  // in the OTel env-var style (case-insensitive; empty = unset).
  const bool nested_task_spans =
      env_choice(env, "LOADGEN_TRACE_NESTING", {"fresh", "nested"},
                 "'fresh' (each task span is the root of its own trace, the default) or 'nested'",
                 problems) == "nested";
  const bool metrics_request_name =
      env_choice(env, "LOADGEN_METRICS_REQUEST_NAME", {"true", "false"}, "'true' or 'false'",
                 problems) == "true";
  std::optional<scenario::Scenario> sc = load_scenario(o, env, problems);
  if (sc) {
    select_classes_and_tasks(*sc, o, problems, log);
    // Locust 2.12 runs a class that tags left without tasks: its users fail at every pick.
    for (scenario::UserClass& cls : sc->user_classes) scenario::fail_without_tasks(cls);
  }
  std::vector<stats::Threshold> thresholds;
  if (sc) thresholds = plan_thresholds(o, *sc, problems);
  engine::EngineConfig cfg;
  if (sc && sc->uses_flags) {
    if (auto flags_cfg = config_or_problem(flags::ofrep_config_from_env(env), problems)) {
      cfg.flags = std::move(*flags_cfg);
    }
  }
  cfg.log = &log;
  // OTEL_* configuration of the three signals. Problems are warnings with the spec's
  // fallback (each logged once), except an unusable OTLP endpoint (a configuration error).
  std::vector<std::string> warnings;
  std::optional<otel::TracesConfig> traces =
      config_or_problem(otel::traces_config_from_env(env, &warnings), problems);
  if (traces) cfg.trace = trace_settings(*traces, nested_task_spans);
  std::optional<otel::LogsConfig> logs_cfg =
      config_or_problem(otel::logs_config_from_env(env, &warnings), problems);
  std::optional<otel::MetricsConfig> metrics_cfg =
      config_or_problem(otel::metrics_config_from_env(env, &warnings), problems);
  for (const auto& w : distinct(warnings)) log.warning("{}", w);

  if (o.host.empty()) {
    if (sc && sc->needs_host) {
      problems.push_back("--host: no host given; pass -H http://HOST:PORT or set LOCUST_HOST");
    }
  } else if (auto url = http::parse_url(o.host); !url) {
    problems.push_back("--host: " + url.error().message);
  } else {
    cfg.client.set_base(std::move(*url));
  }
  RunPlan run;
  if (sc) apply_load_model(o, *sc, run, problems);
  if (!problems.empty()) {
    for (const auto& p : distinct(problems))
      std::fprintf(stderr, "loadgen: error: %s\n", p.c_str());
    std::fprintf(stderr, "Run with --help for usage.\n");
    return std::nullopt;
  }
  apply_run_options(o, cfg);

  // Spans are recorded only when something exports them.
  const bool export_spans = traces && !traces->sdk_disabled && !traces->exporters.kinds.empty();
  if (export_spans) {
    cfg.span_capacity_per_worker = std::max<std::size_t>(
        64, traces->batch.max_queue_size / static_cast<std::size_t>(cfg.threads));
  }
  // Users' log lines are always recorded (the console shows them); exported when an
  // OTEL_LOGS_EXPORTER is configured.
  const bool export_logs =
      logs_cfg && !logs_cfg->sdk_disabled && !logs_cfg->exporters.kinds.empty();
  cfg.logs.min_level = log.core_level();
  cfg.logs.flag_events = export_logs;
  cfg.log_capacity_per_worker = std::max<std::size_t>(
      64, (logs_cfg ? logs_cfg->batch.max_queue_size : otel::kBlrpDefaults.max_queue_size) /
              static_cast<std::size_t>(cfg.threads));
  const bool export_metrics =
      metrics_cfg && !metrics_cfg->sdk_disabled && !metrics_cfg->exporters.kinds.empty();
  if (export_metrics)
    cfg.request_metrics = request_metrics(*metrics_cfg, metrics_request_name, log);
  cfg.arrivals = std::move(run.cfg.arrivals);
  run.cfg = std::move(cfg);
  run.scenario = std::move(*sc);
  run.traces = std::move(traces);
  run.logs = std::move(logs_cfg);
  run.metrics = std::move(metrics_cfg);
  run.export_spans = export_spans;
  run.export_logs = export_logs;
  run.export_metrics = export_metrics;
  run.thresholds = std::move(thresholds);
  return run;
}

}  // namespace loadgen::app
