#include "flags/ofrep_config.hpp"

#include <string_view>

namespace loadgen::flags {

namespace {

constexpr const char* kHostHint =
    "FLAGD_HOST is a host name or IP address without scheme or port, e.g. flagd or 10.0.0.5; "
    "the port comes from FLAGD_OFREP_PORT";

std::string_view get(const std::map<std::string, std::string>& env, const char* name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string_view{} : std::string_view(it->second);
}

// "[::1]" and "::1" both mean the IPv6 literal ::1.
std::string_view unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

core::Result<http::Url> base_url_for(std::string_view host_in, std::uint16_t port,
                                     const char* what) {
  const std::string_view host = unbracket(host_in);
  const bool ipv6 = host.find(':') != std::string_view::npos;
  const bool bad_char = host.find_first_of("/?#@[] ") != std::string_view::npos;
  if (host.empty() || bad_char) {
    return core::make_error(
        "bad_value",
        std::string(what) + "='" + std::string(host_in) + "' is not a host name or IP address",
        kHostHint);
  }
  std::string text = "http://";
  if (ipv6) text += '[';
  text += host;
  if (ipv6) text += ']';
  text += ':' + std::to_string(port) + '/';
  auto url = http::parse_url(text);
  if (!url) {
    return core::make_error("bad_value",
                            std::string(what) + "='" + std::string(host_in) +
                                "' is not a usable host: " + url.error().message,
                            kHostHint);
  }
  return url;
}

}  // namespace

core::Result<OfrepConfig> ofrep_config_from_env(const std::map<std::string, std::string>& env) {
  OfrepConfig cfg;
  const std::string_view host = get(env, "FLAGD_HOST");
  if (!host.empty()) cfg.host.assign(host);
  const std::string_view port = get(env, "FLAGD_OFREP_PORT");
  if (!port.empty()) {
    unsigned value = 0;
    bool ok = port.size() <= 5;
    for (const char c : port) {
      if (c < '0' || c > '9') ok = false;
      if (ok) value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (!ok || value == 0 || value > 65535) {
      return core::make_error(
          "bad_value",
          "FLAGD_OFREP_PORT='" + std::string(port) + "' is not a port number (1-65535)",
          "flagd serves OFREP on 8016 by default; FLAGD_PORT (8013) is "
          "its gRPC port and is not used");
    }
    cfg.port = static_cast<std::uint16_t>(value);
  }
  // Validate the host now, so a typo fails at start-up rather than as warnings later.
  auto base = base_url_for(cfg.host, cfg.port, "FLAGD_HOST");
  if (!base) return base.error();
  return cfg;
}

core::Result<http::Url> ofrep_base_url(const OfrepConfig& cfg) {
  return base_url_for(cfg.host, cfg.port, "flagd host");
}

}  // namespace loadgen::flags
