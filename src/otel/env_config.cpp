// OTEL_* environment variable parsing (the OTLP exporter's endpoint, headers and files are in
// env_otlp.cpp).
#include "otel/env_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "otel/env_detail.hpp"

namespace loadgen::otel {

using detail::check_otlp_file;
using detail::iequals;
using detail::lower;
using detail::quoted;
using detail::read_otlp_config;
using detail::split_list;
using detail::trim;

namespace {

constexpr std::uint32_t kMaxInt = 0x7FFFFFFF;  // 2^31 - 1

}  // namespace

// ---- EnvReader ----

std::optional<std::string_view> EnvReader::get(std::string_view name) const {
  const auto it = env_.find(std::string(name));
  if (it == env_.end()) return std::nullopt;
  const std::string_view v = trim(it->second);
  if (v.empty()) return std::nullopt;  // empty MUST be treated as unset
  return v;
}

std::optional<bool> EnvReader::boolean(std::string_view name) const {
  const auto v = get(name);
  if (!v) return std::nullopt;
  if (iequals(*v, "true")) return true;
  if (!iequals(*v, "false")) warn(quoted(name, *v) + ": not true or false; treated as false");
  return false;
}

std::optional<std::uint32_t> EnvReader::integer(std::string_view name) const {
  const auto v = get(name);
  if (!v) return std::nullopt;
  std::uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size() || n > kMaxInt) {
    warn(quoted(name, *v) + ": not an integer in 0..2147483647; using the default");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(n);
}

std::optional<std::chrono::milliseconds> EnvReader::duration(std::string_view name) const {
  const auto n = integer(name);
  if (!n) return std::nullopt;
  return std::chrono::milliseconds(*n);
}

std::optional<std::string> EnvReader::choice(
    std::string_view name, std::initializer_list<std::string_view> choices) const {
  const auto v = get(name);
  if (!v) return std::nullopt;
  std::string l = lower(*v);
  for (auto c : choices) {
    if (l == c) return l;
  }
  std::string known;
  for (auto c : choices) known += (known.empty() ? "" : ", ") + std::string(c);
  warn(quoted(name, *v) + ": unknown value (known: " + known + "); ignored");
  return std::nullopt;
}

void EnvReader::warn(std::string message) const {
  if (warnings_ != nullptr) warnings_->push_back(std::move(message));
}

std::string_view signal_env_name(Signal s) {
  switch (s) {
    case Signal::kTraces:
      return "TRACES";
    case Signal::kMetrics:
      return "METRICS";
    case Signal::kLogs:
      return "LOGS";
  }
  return "TRACES";
}

std::string_view signal_http_path(Signal s) {
  switch (s) {
    case Signal::kTraces:
      return "v1/traces";
    case Signal::kMetrics:
      return "v1/metrics";
    case Signal::kLogs:
      return "v1/logs";
  }
  return "v1/traces";
}

// ---- batch processors ----

BatchConfig batch_config_from_env(const Env& env, std::string_view prefix,
                                  const BatchConfig& defaults, std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  const std::string p(prefix);
  BatchConfig c = defaults;
  if (auto v = r.duration(p + "SCHEDULE_DELAY")) c.schedule_delay = *v;
  if (auto v = r.duration(p + "EXPORT_TIMEOUT")) c.export_timeout = *v;
  auto positive = [&](const std::string& name, std::uint32_t& field) {
    if (auto v = r.integer(name)) {
      if (*v == 0) {
        r.warn(name + "=0: must be > 0; using the default " + std::to_string(field));
      } else {
        field = *v;
      }
    }
  };
  positive(p + "MAX_QUEUE_SIZE", c.max_queue_size);
  positive(p + "MAX_EXPORT_BATCH_SIZE", c.max_export_batch_size);
  if (c.max_export_batch_size > c.max_queue_size) {
    r.warn(p + "MAX_EXPORT_BATCH_SIZE (" + std::to_string(c.max_export_batch_size) + ") is above " +
           p + "MAX_QUEUE_SIZE (" + std::to_string(c.max_queue_size) + "); using " +
           std::to_string(c.max_queue_size));
    c.max_export_batch_size = c.max_queue_size;
  }
  return c;
}

// ---- limits ----

SpanLimits span_limits_from_env(const Env& env, std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  SpanLimits l;
  const auto general_len = r.integer("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  const auto general_count = r.integer("OTEL_ATTRIBUTE_COUNT_LIMIT");
  auto len = r.integer("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  l.attribute_value_length_limit = len ? len : general_len;
  auto count = [&](const char* name, std::uint32_t& field, bool general_applies) {
    if (auto v = r.integer(name)) {
      field = *v;
    } else if (general_applies && general_count) {
      field = *general_count;
    }
  };
  count("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", l.attribute_count_limit, true);
  count("OTEL_SPAN_EVENT_COUNT_LIMIT", l.event_count_limit, false);
  count("OTEL_SPAN_LINK_COUNT_LIMIT", l.link_count_limit, false);
  count("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", l.event_attribute_count_limit, true);
  count("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", l.link_attribute_count_limit, true);
  return l;
}

LogRecordLimits log_record_limits_from_env(const Env& env, std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  LogRecordLimits l;
  const auto general_len = r.integer("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  const auto general_count = r.integer("OTEL_ATTRIBUTE_COUNT_LIMIT");
  const auto len = r.integer("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  l.attribute_value_length_limit = len ? len : general_len;
  if (auto v = r.integer("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT")) {
    l.attribute_count_limit = *v;
  } else if (general_count) {
    l.attribute_count_limit = *general_count;
  }
  return l;
}

// ---- propagators ----

std::vector<Propagator> propagators_from_env(const Env& env, std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  const auto v = r.get("OTEL_PROPAGATORS");
  if (!v) return {Propagator::kTraceContext, Propagator::kBaggage};
  std::vector<Propagator> out;
  bool none = false;
  for (const std::string& name : split_list(*v)) {
    std::optional<Propagator> p;
    if (name == "tracecontext") p = Propagator::kTraceContext;
    if (name == "baggage") p = Propagator::kBaggage;
    if (name == "b3") p = Propagator::kB3;
    if (name == "b3multi") p = Propagator::kB3Multi;
    if (name == "none") {
      none = true;
    } else if (!p) {
      const bool known = name == "jaeger" || name == "xray" || name == "ottrace";
      r.warn(quoted("OTEL_PROPAGATORS", *v) + ": " + (known ? "unsupported" : "unknown") +
             " propagator \"" + name + "\" ignored");
    } else if (std::find(out.begin(), out.end(), *p) == out.end()) {
      out.push_back(*p);
    }
  }
  if (none) {
    if (!out.empty()) r.warn(quoted("OTEL_PROPAGATORS", *v) + ": \"none\" wins over the others");
    out.clear();
  }
  return out;
}

// ---- exporter selection ----

ExporterSelection exporters_from_env(const Env& env, Signal signal,
                                     std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  const std::string sig(signal_env_name(signal));
  ExporterSelection sel;
  std::string file_var = "LOADGEN_OTLP_" + sig + "_FILE";
  auto file = r.get(file_var);
  if (!file) {
    file_var = "LOADGEN_OTLP_FILE";
    file = r.get(file_var);
  }
  const std::string var = "OTEL_" + sig + "_EXPORTER";
  const auto v = r.get(var);
  if (!v && !file) sel.kinds.push_back(ExporterKind::kOtlp);
  if (v) {
    bool none = false;
    for (const std::string& name : split_list(*v)) {
      std::optional<ExporterKind> k;
      if (name == "otlp") k = ExporterKind::kOtlp;
      if (name == "console" || name == "logging") k = ExporterKind::kConsole;
      if (name == "otlp/stdout") k = ExporterKind::kOtlpStdout;
      if (name == "prometheus" && signal == Signal::kMetrics) k = ExporterKind::kPrometheus;
      if (name == "none") {
        none = true;
      } else if (!k) {
        r.warn(quoted(var, *v) + ": unsupported exporter \"" + name + "\" ignored");
      } else if (std::find(sel.kinds.begin(), sel.kinds.end(), *k) == sel.kinds.end()) {
        sel.kinds.push_back(*k);
      }
    }
    if (none) {
      if (!sel.kinds.empty()) r.warn(quoted(var, *v) + ": \"none\" wins over the others");
      sel.kinds.clear();
    }
  }
  if (file) {
    sel.kinds.push_back(ExporterKind::kOtlpFile);
    sel.otlp_file_path = std::string(*file);
    sel.otlp_file_var = file_var;
  }
  return sel;
}

// ---- sampler ----

Sampler sampler_from_env(const Env& env, std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  Sampler s;
  const auto name = r.choice(
      "OTEL_TRACES_SAMPLER",
      {"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off",
       "parentbased_traceidratio", "jaeger_remote", "parentbased_jaeger_remote", "xray"});
  if (!name) return s;
  if (*name == "always_on") s.kind = SamplerKind::kAlwaysOn;
  if (*name == "always_off") s.kind = SamplerKind::kAlwaysOff;
  if (*name == "traceidratio") s.kind = SamplerKind::kTraceIdRatio;
  if (*name == "parentbased_always_off") s.kind = SamplerKind::kParentBasedAlwaysOff;
  if (*name == "parentbased_traceidratio") s.kind = SamplerKind::kParentBasedTraceIdRatio;
  if (*name == "jaeger_remote" || *name == "parentbased_jaeger_remote" || *name == "xray") {
    r.warn("OTEL_TRACES_SAMPLER=" + *name +
           ": remote samplers are not supported; using parentbased_always_on");
    return s;
  }
  if (s.kind != SamplerKind::kTraceIdRatio && s.kind != SamplerKind::kParentBasedTraceIdRatio) {
    return s;
  }
  if (const auto arg = r.get("OTEL_TRACES_SAMPLER_ARG")) {
    double ratio = 0;
    const auto [ptr, ec] = std::from_chars(arg->data(), arg->data() + arg->size(), ratio);
    if (ec != std::errc() || ptr != arg->data() + arg->size() || !(ratio >= 0.0 && ratio <= 1.0)) {
      r.warn(quoted("OTEL_TRACES_SAMPLER_ARG", *arg) + ": not a probability in [0, 1]; using 1.0");
    } else {
      s.ratio = ratio;
    }
  }
  return s;
}

// ---- traces ----

core::Result<TracesConfig> traces_config_from_env(const Env& env,
                                                  std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  for (const char* name : {"OTEL_CONFIG_FILE", "OTEL_EXPERIMENTAL_CONFIG_FILE"}) {
    if (const auto v = r.get(name)) {
      r.warn(quoted(name, *v) +
             ": declarative configuration is not supported; using OTEL_* "
             "environment variables");
    }
  }
  TracesConfig c;
  c.sdk_disabled = r.boolean("OTEL_SDK_DISABLED").value_or(false);
  c.propagators = propagators_from_env(env, warnings);
  c.sampler = sampler_from_env(env, warnings);
  c.exporters = exporters_from_env(env, Signal::kTraces, warnings);
  if (auto st = check_otlp_file(c.exporters, c.sdk_disabled); !st) return st.error();
  c.batch = batch_config_from_env(env, "OTEL_BSP_", kBspDefaults, warnings);
  c.limits = span_limits_from_env(env, warnings);
  if (auto st =
          read_otlp_config(env, Signal::kTraces, c.sdk_disabled, c.exporters, c.otlp, warnings);
      !st) {
    return st.error();
  }
  return c;
}

core::Result<LogsConfig> logs_config_from_env(const Env& env, std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  LogsConfig c;
  c.sdk_disabled = r.boolean("OTEL_SDK_DISABLED").value_or(false);
  c.exporters = exporters_from_env(env, Signal::kLogs, warnings);
  if (auto st = check_otlp_file(c.exporters, c.sdk_disabled); !st) return st.error();
  c.batch = batch_config_from_env(env, "OTEL_BLRP_", kBlrpDefaults, warnings);
  c.limits = log_record_limits_from_env(env, warnings);
  if (auto st = read_otlp_config(env, Signal::kLogs, c.sdk_disabled, c.exporters, c.otlp, warnings);
      !st) {
    return st.error();
  }
  return c;
}

// ---- metrics ----

core::Result<MetricsConfig> metrics_config_from_env(const Env& env,
                                                    std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  MetricsConfig c;
  c.sdk_disabled = r.boolean("OTEL_SDK_DISABLED").value_or(false);
  c.exporters = exporters_from_env(env, Signal::kMetrics, warnings);
  if (auto st = check_otlp_file(c.exporters, c.sdk_disabled); !st) return st.error();

  if (const auto v = r.duration("OTEL_METRIC_EXPORT_INTERVAL")) {
    if (v->count() == 0) {
      r.warn("OTEL_METRIC_EXPORT_INTERVAL=\"0\": the interval must be > 0; using 60000");
    } else {
      c.export_interval = *v;
    }
  }
  if (const auto v = r.duration("OTEL_METRIC_EXPORT_TIMEOUT")) c.export_timeout = *v;

  const auto filter =
      r.choice("OTEL_METRICS_EXEMPLAR_FILTER", {"always_on", "always_off", "trace_based"});
  if (filter == "always_on") c.exemplar_filter = metrics::ExemplarFilter::kAlwaysOn;
  if (filter == "always_off") c.exemplar_filter = metrics::ExemplarFilter::kAlwaysOff;

  const auto temporality = r.choice("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                                    {"cumulative", "delta", "lowmemory"});
  if (temporality == "delta") c.temporality = metrics::TemporalityPreference::kDelta;
  if (temporality == "lowmemory") c.temporality = metrics::TemporalityPreference::kLowMemory;

  const auto histogram =
      r.choice("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
               {"explicit_bucket_histogram", "base2_exponential_bucket_histogram"});
  if (histogram == "base2_exponential_bucket_histogram") {
    c.histogram_aggregation = metrics::HistogramAggregation::kBase2Exponential;
  }

  if (const auto host = r.get("OTEL_EXPORTER_PROMETHEUS_HOST")) c.prometheus_host = *host;
  if (const auto port = r.integer("OTEL_EXPORTER_PROMETHEUS_PORT")) {
    if (*port == 0 || *port > 65535) {
      r.warn(quoted("OTEL_EXPORTER_PROMETHEUS_PORT", std::to_string(*port)) +
             ": not a port in 1..65535; using 9464");
    } else {
      c.prometheus_port = static_cast<std::uint16_t>(*port);
    }
  }

  if (auto st =
          read_otlp_config(env, Signal::kMetrics, c.sdk_disabled, c.exporters, c.otlp, warnings);
      !st) {
    return st.error();
  }
  return c;
}

}  // namespace loadgen::otel
