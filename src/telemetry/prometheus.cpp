#include "telemetry/prometheus.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>
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
      {"d", "days"},     {"h", "hours"},        {"min", "minutes"}, {"s", "seconds"},
      {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"},
      {"By", "bytes"},   {"KiBy", "kibibytes"}, {"MiBy", "mebibytes"}, {"GiBy", "gibibytes"},
      {"KBy", "kilobytes"}, {"MBy", "megabytes"}, {"GBy", "gigabytes"}, {"m", "meters"},
      {"V", "volts"},    {"A", "amperes"},      {"J", "joules"},    {"W", "watts"},
      {"g", "grams"},    {"Cel", "celsius"},    {"Hz", "hertz"},    {"%", "percent"}};
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
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string value_text(const otel::AttrValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>)
          return fmt::format("{}", x);
        else return "[...]";
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
          const std::string le = i < p.explicit_bounds.size() ? number(p.explicit_bounds[i]) : "+Inf";
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

PrometheusServer::~PrometheusServer() { stop(); }

core::Status PrometheusServer::start(const std::string& host, std::uint16_t port,
                                     Collect collect, core::LogSink* log) {
  collect_ = std::move(collect);
  log_ = log;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string where = fmt::format("OTEL_EXPORTER_PROMETHEUS_HOST/PORT {}:{}", host, port);
  if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
    return core::make_error("prometheus", fmt::format("{}: {}", where, gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
      fd_ = fd;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  if (fd_ < 0) return core::make_error("prometheus", fmt::format("{}: cannot listen: {}", where, last_error));
  thread_ = std::thread([this] { serve(); });
  return core::Ok{};
}

void PrometheusServer::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void PrometheusServer::serve() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    timeval tv{2, 0};  // a client that sends nothing cannot hold the server
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string req;
    char buf[2048];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<std::size_t>(n));
    }
    std::string status = "200 OK", type = "text/plain; version=0.0.4; charset=utf-8", body;
    if (req.rfind("GET /metrics ", 0) == 0 || req.rfind("GET /metrics?", 0) == 0) {
      body = collect_();
    } else if (req.rfind("GET ", 0) == 0) {
      status = "404 Not Found";
      body = "not found: loadgen serves GET /metrics\n";
    } else {
      status = "405 Method Not Allowed";
      body = "use GET /metrics\n";
    }
    const std::string resp =
        fmt::format("HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    status, type, body.size(), body);
    std::size_t done = 0;
    while (done < resp.size()) {
      const ssize_t n = ::send(c, resp.data() + done, resp.size() - done, MSG_NOSIGNAL);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(c);
  }
}

}  // namespace loadgen::telemetry
