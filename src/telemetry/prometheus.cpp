#include "telemetry/prometheus.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <set>
#include <utility>
#include <variant>

namespace loadgen::telemetry {

namespace {

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == ':';
    out.push_back(ok ? c : '_');
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

// One unit of UCUM as Prometheus spells it (the OTel-Prometheus compatibility table); `per`:
// the singular used after "_per_".
std::string unit_word(std::string_view u, bool per) {
  static constexpr std::pair<std::string_view, std::string_view> kPlural[] = {
      {"d", "days"},          {"h", "hours"},         {"min", "minutes"},    {"s", "seconds"},
      {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
      {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"}, {"KBy", "kilobytes"},
      {"MBy", "megabytes"},   {"GBy", "gigabytes"},   {"m", "meters"},       {"V", "volts"},
      {"A", "amperes"},       {"J", "joules"},        {"W", "watts"},        {"g", "grams"},
      {"Cel", "celsius"},     {"Hz", "hertz"},        {"%", "percent"}};
  static constexpr std::pair<std::string_view, std::string_view> kSingular[] = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
      {"w", "week"},   {"mo", "month"}, {"y", "year"}};
  if (per) {
    for (const auto& [k, v] : kSingular)
      if (u == k) return std::string(v);
  } else {
    for (const auto& [k, v] : kPlural)
      if (u == k) return std::string(v);
  }
  return sanitize(u);
}

// The unit as a name suffix: "{...}" annotations dropped, "1" → ratio, "a/b" → a_per_b.
std::string unit_suffix(std::string_view unit) {
  std::string bare;
  for (std::size_t i = 0; i < unit.size(); ++i) {
    if (unit[i] == '{') {
      const auto close = unit.find('}', i);
      if (close == std::string_view::npos) break;
      i = close;
      continue;
    }
    bare.push_back(unit[i]);
  }
  if (bare.empty()) return {};
  if (bare == "1") return "ratio";
  const auto slash = bare.find('/');
  if (slash == std::string::npos) return unit_word(bare, false);
  // "1" is no unit on either side of the slash ("1/s" → per_second).
  const std::string l = bare.substr(0, slash), r = bare.substr(slash + 1);
  const std::string left = l.empty() || l == "1" ? std::string() : unit_word(l, false);
  const std::string right = r.empty() || r == "1" ? std::string() : unit_word(r, true);
  if (right.empty()) return left;
  return left.empty() ? "per_" + right : left + "_per_" + right;
}

std::string metric_name(const otel::Metric& m, bool counter) {
  std::string n = sanitize(m.name);
  const std::string suffix = unit_suffix(m.unit);
  if (!suffix.empty() && !n.ends_with("_" + suffix)) n += "_" + suffix;
  if (counter) n += "_total";
  return n;
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string value_text(const otel::AttrValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          return x;
        else if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>)
          return fmt::format("{}", x);
        else
          return "[...]";
      },
      v.v);
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

double as_double(const otel::NumberValue& v) {
  return std::holds_alternative<std::int64_t>(v) ? static_cast<double>(std::get<std::int64_t>(v))
                                                 : std::get<double>(v);
}

std::string labels(const otel::Attributes& attrs, std::string_view extra = {}) {
  std::string out;
  for (const auto& a : attrs) {
    out += out.empty() ? "{" : ",";
    out += fmt::format("{}=\"{}\"", sanitize(a.key), escape_label(value_text(a.value)));
  }
  if (!extra.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra;
  }
  if (!out.empty()) out += "}";
  return out;
}

}  // namespace

std::string render_prometheus(const otel::Resource& resource,
                              const std::vector<otel::Metric>& metrics) {
  std::string out;
  out += "# HELP target_info Target metadata\n# TYPE target_info gauge\n";
  out += "target_info" + labels(resource.attributes) + " 1\n";
  std::set<std::string> seen;
  for (const auto& m : metrics) {
    if (const auto* g = std::get_if<otel::Gauge>(&m.data)) {
      const std::string n = metric_name(m, false);
      if (!seen.insert(n).second) continue;
      out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", n, m.description, n);
      for (const auto& p : g->data_points)
        out += n + labels(p.attributes) + " " + number(as_double(p.value)) + "\n";
    } else if (const auto* s = std::get_if<otel::Sum>(&m.data)) {
      const bool counter = s->is_monotonic;
      const std::string n = metric_name(m, counter);
      if (!seen.insert(n).second) continue;
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", n, m.description, n,
                         counter ? "counter" : "gauge");
      for (const auto& p : s->data_points)
        out += n + labels(p.attributes) + " " + number(as_double(p.value)) + "\n";
    } else if (const auto* h = std::get_if<otel::Histogram>(&m.data)) {
      const std::string n = metric_name(m, false);
      if (!seen.insert(n).second) continue;
      out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", n, m.description, n);
      for (const auto& p : h->data_points) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < p.bucket_counts.size(); ++i) {
          cumulative += p.bucket_counts[i];
          const std::string le =
              i < p.explicit_bounds.size() ? number(p.explicit_bounds[i]) : "+Inf";
          out += n + "_bucket" + labels(p.attributes, fmt::format("le=\"{}\"", le)) + " " +
                 std::to_string(cumulative) + "\n";
        }
        if (p.bucket_counts.empty()) {
          out += n + "_bucket" + labels(p.attributes, "le=\"+Inf\"") + " " +
                 std::to_string(p.count) + "\n";
        }
        out += n + "_sum" + labels(p.attributes) + " " + number(p.sum.value_or(0.0)) + "\n";
        out += n + "_count" + labels(p.attributes) + " " + std::to_string(p.count) + "\n";
      }
    } else {
      out += fmt::format("# {}: exponential histograms and summaries have no text form here\n",
                         sanitize(m.name));
    }
  }
  return out;
}

PrometheusServer::PrometheusServer() = default;
PrometheusServer::~PrometheusServer() { stop(); }

core::Status PrometheusServer::start(const std::string& host, std::uint16_t port, Collect collect,
                                     core::LogSink* log) {
  collect_ = std::move(collect);
  log_ = log;
  router_.add("GET", "/metrics", [this](const server::Request&) {
    server::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = collect_();
    return r;
  });
  router_.set_not_found_body("not found: loadgen serves GET /metrics\n");
  server::ServerOptions options;
  options.limits.max_head = 16 * 1024;
  options.limits.max_body = 16 * 1024;
  options.limits.idle_timeout = std::chrono::seconds(30);
  options.limits.max_connections = 64;
  options.error_response = [](int status, std::string_view reason) {
    server::Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(reason) + "\n";
    return r;
  };
  auto bound = server_.start(
      host, port, [this](const server::Request& r) { return router_.route(r); },
      std::move(options));
  if (!bound) {
    return core::make_error(
        "prometheus", fmt::format("OTEL_EXPORTER_PROMETHEUS_HOST/PORT {}", bound.error().message));
  }
  port_ = *bound;
  return core::Ok{};
}

void PrometheusServer::stop() { server_.stop(); }

}  // namespace loadgen::telemetry
