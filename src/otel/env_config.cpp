// OTEL_* environment variable parsing.
#include "otel/env_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "core/redact.hpp"
#include "core/strings.hpp"
#include "otel/baggage.hpp"

namespace loadgen::otel {
namespace {

constexpr std::uint32_t kMaxInt = 0x7FFFFFFF;  // 2^31 - 1

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

std::string quoted(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

// Splits a comma list into trimmed, non-empty, lower-cased items.
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    const std::string_view item = trim(s.substr(pos, comma - pos));
    if (!item.empty()) out.push_back(lower(item));
    pos = comma + 1;
  }
  return out;
}

std::string signal_var(Signal s, std::string_view option) {
  return "OTEL_EXPORTER_OTLP_" + std::string(signal_env_name(s)) + "_" + std::string(option);
}
std::string generic_var(std::string_view option) {
  return "OTEL_EXPORTER_OTLP_" + std::string(option);
}

// Splits "scheme://authority/path" loosely; false if no usable http(s) URL.
struct UrlParts {
  std::string scheme;  // lower-case
  std::string_view authority;
  std::string_view rest;  // path, query... (may be empty)
};
bool split_url(std::string_view url, UrlParts& out) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return false;
  out.scheme = lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return false;
  const std::string_view after = url.substr(sep + 3);
  const std::size_t end = after.find_first_of("/?#");
  out.authority = after.substr(0, end);
  out.rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  if (out.authority.empty()) return false;
  return std::none_of(url.begin(), url.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b <= 0x20 || b == 0x7F;
  });
}

// What is wrong with the host and port of an authority ("[userinfo@]host[:port]", RFC 3986
// §3.2), or empty: the port, when given, must be a number in 1..65535 (RFC 3986 §3.2.3 allows
// digits only; 0 cannot be connected to).
std::string authority_problem(std::string_view authority) {
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "the IPv6 address has no closing ']'";
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "unexpected text after the IPv6 address";
      has_port = true;
      port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    has_port = true;
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return "the host is empty";
  if (!has_port) return {};
  unsigned long n = 0;
  const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || n < 1 || n > 65535) {
    return "the port '" + std::string(port) + "' is not a number in 1..65535";
  }
  return {};
}

bool field_value_ok(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return (b < 0x20 && c != '\t') || b == 0x7F;
  });
}

void merge_headers(std::vector<std::pair<std::string, std::string>>& into,
                   std::vector<std::pair<std::string, std::string>> from) {
  for (auto& kv : from) {
    const auto it = std::find_if(into.begin(), into.end(),
                                 [&](const auto& e) { return iequals(e.first, kv.first); });
    if (it != into.end()) {
      *it = std::move(kv);
    } else {
      into.push_back(std::move(kv));
    }
  }
}

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

// ---- OTLP exporter ----

std::vector<std::pair<std::string, std::string>> parse_otlp_headers(
    std::string_view value, std::string_view var, std::vector<std::string>* warnings) {
  std::vector<std::pair<std::string, std::string>> out;
  // Header values are credentials more often than not: a warning names the entry by its
  // position and the leading token characters of its key, never its value.
  int entry = 0;
  auto skip = [&](std::string_view member, const char* why) {
    if (warnings == nullptr) return;
    const std::size_t eq = member.find('=');
    std::string name;
    if (eq != std::string_view::npos) {
      const std::string_view key = trim(member.substr(0, eq));
      for (char c : key.substr(0, 64)) {
        if (!is_http_token(std::string_view(&c, 1))) break;
        name += c;
      }
    }
    warnings->push_back(std::string(var) + ": header entry " + std::to_string(entry) +
                        (name.empty() ? std::string() : " (key \"" + name + "\")") +
                        " skipped: " + why + " (the value is not shown)");
  };
  std::size_t pos = 0;
  while (pos <= value.size()) {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view member = trim(value.substr(pos, comma - pos));
    pos = comma + 1;
    if (member.empty()) continue;
    ++entry;
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) {
      skip(member, "no '='");
      continue;
    }
    std::string key;
    std::string val;
    if (!percent_decode(trim(member.substr(0, eq)), key) ||
        !percent_decode(trim(member.substr(eq + 1)), val)) {
      skip(member, "bad %XX escape");
      continue;
    }
    if (!is_http_token(key)) {
      skip(member, "the name is not an HTTP token");
      continue;
    }
    if (val.empty() || !field_value_ok(val)) {
      skip(member, "empty value or control characters");
      continue;
    }
    merge_headers(out, {{std::move(key), std::move(val)}});
  }
  return out;
}

core::Result<OtlpExporterConfig> otlp_exporter_config_from_env(const Env& env, Signal signal,
                                                               std::vector<std::string>* warnings) {
  const EnvReader r(env, warnings);
  OtlpExporterConfig c;
  c.signal = signal;
  // Per-signal wins; a per-signal value that is invalid is ignored, as if unset.
  auto per = [&](std::string_view option) { return signal_var(signal, option); };

  const std::initializer_list<std::string_view> kProtocols = {"grpc", "http/protobuf", "http/json"};
  auto protocol = r.choice(per("PROTOCOL"), kProtocols);
  if (!protocol) protocol = r.choice(generic_var("PROTOCOL"), kProtocols);
  if (protocol == "grpc") c.protocol = OtlpProtocol::kGrpc;
  if (protocol == "http/json") c.protocol = OtlpProtocol::kHttpJson;
  const bool grpc = c.protocol == OtlpProtocol::kGrpc;

  std::optional<bool> insecure = r.boolean(per("INSECURE"));
  if (!insecure && signal == Signal::kTraces)
    insecure = r.boolean("OTEL_EXPORTER_OTLP_SPAN_INSECURE");
  if (!insecure && signal == Signal::kMetrics) {
    insecure = r.boolean("OTEL_EXPORTER_OTLP_METRIC_INSECURE");
  }
  if (!insecure) insecure = r.boolean(generic_var("INSECURE"));
  c.insecure = insecure.value_or(false);

  // Endpoint (protocol/exporter.md "Endpoint URLs for OTLP/HTTP").
  const std::string per_var = per("ENDPOINT");
  const std::string gen_var = generic_var("ENDPOINT");
  const auto per_ep = r.get(per_var);
  const auto gen_ep = r.get(gen_var);
  const std::string_view var = per_ep ? std::string_view(per_var) : std::string_view(gen_var);
  std::string url = per_ep ? std::string(*per_ep) : gen_ep ? std::string(*gen_ep) : std::string();
  if (url.empty()) {
    url = grpc ? "http://localhost:4317"
               : std::string("http://localhost:4318/") + std::string(signal_http_path(signal));
  } else if (grpc && url.find("://") == std::string::npos) {
    url = (c.insecure ? "http://" : "https://") + url;  // INSECURE only matters here
  }
  UrlParts parts;
  // Messages show the URL without its userinfo (credentials are never printed).
  if (!split_url(url, parts)) {
    return core::make_error(
        "bad_value",
        quoted(var, core::redact_userinfo(url)) + ": not an http:// or https:// URL with a host",
        grpc ? "e.g. http://collector:4317" : "e.g. http://collector:4318");
  }
  if (const std::string why = authority_problem(parts.authority); !why.empty()) {
    return core::make_error("bad_value", quoted(var, core::redact_userinfo(url)) + ": " + why,
                            grpc ? "e.g. http://collector:4317" : "e.g. http://collector:4318");
  }
  if (!grpc && !per_ep && gen_ep) {
    // Generic endpoint: a base URL; append v1/<signal> with exactly one '/' between.
    if (url.back() != '/') url += '/';
    url += signal_http_path(signal);
  } else if (!grpc && per_ep && parts.rest.empty()) {
    url += '/';  // a per-signal URL is used as-is; "/" only when it has no path at all
  } else if (!grpc && per_ep && parts.rest.front() != '/') {
    url.insert(url.size() - parts.rest.size(), "/");  // query without a path
  }
  c.endpoint = std::move(url);
  c.tls = parts.scheme == "https";

  c.headers.clear();
  if (const auto h = r.get(generic_var("HEADERS"))) {
    c.headers = parse_otlp_headers(*h, generic_var("HEADERS"), warnings);
  }
  if (const auto h = r.get(per("HEADERS"))) {
    merge_headers(c.headers, parse_otlp_headers(*h, per("HEADERS"), warnings));
  }

  auto timeout = r.duration(per("TIMEOUT"));
  if (!timeout) timeout = r.duration(generic_var("TIMEOUT"));
  if (timeout) c.timeout = *timeout;

  const std::initializer_list<std::string_view> kCompressions = {"gzip", "none"};
  auto compression = r.choice(per("COMPRESSION"), kCompressions);
  if (!compression) compression = r.choice(generic_var("COMPRESSION"), kCompressions);
  c.compression = compression == "gzip" ? OtlpCompression::kGzip : OtlpCompression::kNone;

  auto path = [&](std::string_view option) {
    auto v = r.get(per(option));
    if (!v) v = r.get(generic_var(option));
    return v ? std::string(*v) : std::string();
  };
  c.certificate_file = path("CERTIFICATE");
  c.client_key_file = path("CLIENT_KEY");
  c.client_certificate_file = path("CLIENT_CERTIFICATE");
  return c;
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

namespace {

// A file exporter whose file can never be opened is a configuration error: its folder must
// exist and the path must not be a folder. Only checked when the SDK is enabled.
core::Status check_otlp_file(const ExporterSelection& sel, bool sdk_disabled) {
  if (sdk_disabled || sel.otlp_file_path.empty()) return core::Ok{};
  namespace fs = std::filesystem;
  const fs::path path(sel.otlp_file_path);
  std::error_code ec;
  auto bad = [&](std::string_view why) {
    return core::make_error("bad_value",
                            quoted(sel.otlp_file_var, sel.otlp_file_path) + ": " + std::string(why),
                            "name a file in an existing folder");
  };
  if (fs::is_directory(path, ec)) return bad("is a folder");
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) return bad("its folder '" + dir.string() + "' does not exist");
  return core::Ok{};
}

}  // namespace

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

// The OTLP exporter settings of one signal, into `out`. An unusable endpoint is an error only
// when the OTLP exporter is in use (the SDK enabled and "otlp" selected); otherwise a warning.
static core::Status read_otlp_config(const Env& env, Signal signal, bool sdk_disabled,
                                     const ExporterSelection& exporters, OtlpExporterConfig& out,
                                     std::vector<std::string>* warnings) {
  auto otlp = otlp_exporter_config_from_env(env, signal, warnings);
  if (otlp.ok()) {
    out = std::move(*otlp);
    return core::Ok{};
  }
  const bool used = !sdk_disabled && std::find(exporters.kinds.begin(), exporters.kinds.end(),
                                               ExporterKind::kOtlp) != exporters.kinds.end();
  if (used) return otlp.error();
  const EnvReader r(env, warnings);
  r.warn(otlp.error().message + " (ignored: the OTLP " +
         core::ascii_lowercase(signal_env_name(signal)) + " exporter is not in use)");
  return core::Ok{};
}

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
