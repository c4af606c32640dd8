// OTEL_EXPORTER_OTLP_*: the OTLP exporter's endpoint (protocol/exporter.md), headers and TLS
// files, and the checks that make an unusable endpoint or output file a configuration error.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "core/redact.hpp"
#include "core/strings.hpp"
#include "otel/baggage.hpp"
#include "otel/env_config.hpp"
#include "otel/env_detail.hpp"

namespace loadgen::otel {

using detail::generic_var;
using detail::iequals;
using detail::lower;
using detail::quoted;
using detail::signal_var;
using detail::trim;

namespace {

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

namespace detail {

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

core::Status read_otlp_config(const Env& env, Signal signal, bool sdk_disabled,
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

}  // namespace detail

}  // namespace loadgen::otel
