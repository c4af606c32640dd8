#include "app/run_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "core/strings.hpp"
#include "flags/ofrep_config.hpp"
#include "http/method.hpp"
#include "http/url.hpp"
#include "scenario/file.hpp"

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

std::optional<RunPlan> plan_run(const Options& o, const std::map<std::string, std::string>& env,
                                Log& log) {
  // ---- build the run from the options (errors here are usage errors, exit 2) ----
  std::vector<std::string> problems;
  const scenario::BuiltinSettings bs = builtin_settings(o, env, problems);
  // loadgen's own telemetry switches (docs/metrics.md, README "Traces"): an enum and a boolean
  // in the OTel env-var style (case-insensitive; empty = unset).
  const bool nested_task_spans =
      env_choice(env, "LOADGEN_TRACE_NESTING", {"fresh", "nested"},
                 "'fresh' (each task span is the root of its own trace, the default) or 'nested'",
                 problems) == "nested";
  const bool metrics_request_name =
      env_choice(env, "LOADGEN_METRICS_REQUEST_NAME", {"true", "false"}, "'true' or 'false'",
                 problems) == "true";
  auto sc = o.locustfile.empty()
                ? scenario::make_builtin_scenario(o.scenario, bs)
                : scenario::load_scenario_file(o.locustfile, scenario::FileSettings{bs.today});
  if (sc && !o.locustfile.empty() && bs.shop_wait_time) {
    // --wait-time overrides every class of a scenario file, as it does the built-ins'.
    for (auto& cls : sc->user_classes) cls.wait_time = *bs.shop_wait_time;
  }
  if (!sc) {
    problems.push_back(sc.error().hint.empty() ? sc.error().message
                                               : sc.error().message + " (" + sc.error().hint + ")");
  }
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
  return RunPlan{std::move(cfg),         std::move(*sc), std::move(traces), std::move(logs_cfg),
                 std::move(metrics_cfg), export_spans,   export_logs,       export_metrics};
}

}  // namespace loadgen::app
