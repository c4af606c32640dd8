// Value conversions shared by the options (see options_convert.hpp): integers, booleans,
// durations, sizes, URLs, header fields and paths, each reporting a problem in the source's shape.
#include "app/options_convert.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "core/redact.hpp"
#include "core/timespan.hpp"
#include "http/url.hpp"

namespace loadgen::app::options_detail {

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string describe(const Setting& s) {
  switch (s.kind) {
    case SourceKind::kCli:
      return s.origin;
    case SourceKind::kEnv:
      return fmt::format("{} (environment)", s.origin);
    case SourceKind::kConfigFile:
      return fmt::format("{}:{} ({})", s.origin, s.line, s.key);
  }
  return s.origin;
}

// The reason in a core error message of the form "<what>: '<text>' is <reason>", plus its hint.
std::string reason_of(const core::Error& e, std::string_view what, std::string_view text) {
  const std::string prefix = fmt::format("{}: '{}' is ", what, text);
  std::string reason = e.message.compare(0, prefix.size(), prefix) == 0
                           ? e.message.substr(prefix.size())
                           : e.message;
  if (!e.hint.empty()) reason += "; " + e.hint;
  return reason;
}

std::optional<bool> parse_bool(std::string_view v) {
  const std::string l = to_lower(trim(v));
  if (l == "true" || l == "yes" || l == "1") return true;
  if (l == "false" || l == "no" || l == "0") return false;
  return std::nullopt;
}

void convert_int(const Setting& s, Problems& p, int lo, int hi, int& out) {
  const std::string& v = s.values.back();
  long long n = 0;
  if (!parse_integer(v, n)) {
    // Digits beyond long long: an integer all the same, only out of range.
    std::string_view t = trim(v);
    if (!t.empty() && (t.front() == '+' || t.front() == '-')) t.remove_prefix(1);
    const bool digits =
        !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    p.bad_value(s, v, digits ? fmt::format("out of range ({}..{})", lo, hi) : "not an integer");
  } else if (n < lo) {
    p.bad_value(s, v, lo == 0 ? "negative" : fmt::format("out of range ({}..{})", lo, hi));
  } else if (n > hi) {
    p.bad_value(s, v, fmt::format("out of range ({}..{})", lo, hi));
  } else {
    out = static_cast<int>(n);
  }
}

void convert_bool(const Setting& s, Problems& p, bool& out) {
  const std::string& v = s.values.back();
  if (auto b = parse_bool(v)) {
    out = *b;
  } else {
    p.bad_value(s, v, "not a boolean (true/false, yes/no, 1/0)");
  }
}

void convert_timespan(const Setting& s, Problems& p, std::optional<std::chrono::seconds>& out) {
  const std::string& v = s.values.back();
  auto r = core::parse_timespan(v, s.origin);
  if (r) {
    out = *r;
  } else {
    p.bad_value(s, v, reason_of(r.error(), s.origin, v));
  }
}

void convert_duration(const Setting& s, Problems& p, std::chrono::milliseconds& out) {
  const std::string& v = s.values.back();
  auto r = core::parse_duration(v, s.origin);
  if (!r) {
    p.bad_value(s, v, reason_of(r.error(), s.origin, v));
  } else if (r->count() == 0) {
    p.bad_value(s, v, "zero (must be > 0)");
  } else {
    out = std::chrono::ceil<std::chrono::milliseconds>(*r);
  }
}

void convert_byte_size(const Setting& s, Problems& p, std::uint64_t& out) {
  const std::string& v = s.values.back();
  const std::string_view t = trim(v);
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  const std::string_view number = t.substr(0, i);
  const std::string unit = to_lower(trim(t.substr(i)));
  static constexpr std::array<std::pair<std::string_view, double>, 11> kUnits = {
      {{"", 1.0},
       {"b", 1.0},
       {"bytes", 1.0},
       {"kb", 1e3},
       {"mb", 1e6},
       {"gb", 1e9},
       {"tb", 1e12},
       {"kib", 1024.0},
       {"mib", 1048576.0},
       {"gib", 1073741824.0},
       {"tib", 1099511627776.0}}};
  const auto* u =
      std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& e) { return e.first == unit; });
  double n = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size()) {
    p.bad_value(s, v, "not a size (e.g. 16MiB, 512KiB, 1GB, 4096)");
  } else if (u == kUnits.end()) {
    p.bad_value(s, v,
                fmt::format("not a size: unknown unit '{}' (B, KB, MB, GB, KiB, MiB, GiB)",
                            trim(t.substr(i))));
  } else if (n * u->second < 1.0) {
    p.bad_value(s, v, "zero (must be at least 1 byte)");
  } else if (n * u->second > 1099511627776.0) {
    p.bad_value(s, v, "too large (at most 1TiB)");
  } else {
    out = static_cast<std::uint64_t>(n * u->second);
  }
}

// --header fields that would frame the request body: loadgen always frames the body it sends
// with its own Content-Length (RFC 9112 §6.1-6.3); a second framing could desynchronize the
// connection (request smuggling), so they are refused instead of silently dropped.
std::string_view framing_header(std::string_view h) {
  const std::string name = to_lower(trim(h.substr(0, h.find(':'))));
  if (name == "content-length") return "Content-Length";
  if (name == "transfer-encoding") return "Transfer-Encoding";
  return {};
}

void convert_host(const Setting& s, Problems& p, std::string& out) {
  const std::string& v = s.values.back();
  if (v.empty()) {
    out.clear();
    return;
  }
  auto r = http::parse_url(v);
  if (r) {
    out = v;
    return;
  }
  const std::string& m = r.error().message;
  const std::size_t at = m.rfind("': ");
  const std::string reason = at == std::string::npos ? m : m.substr(at + 3);
  // user:password@ (basic auth, as Locust takes it from the host) is never echoed.
  p.bad_value(s, core::redact_userinfo(v),
              fmt::format("not an http:// or https:// URL: {}", reason));
}

namespace {

bool is_tchar(char c) {
  // RFC 9110 §5.6.2 token characters.
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_ctl(std::string_view v, bool allow_tab) {
  return std::any_of(v.begin(), v.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7f;
  });
}

}  // namespace

bool valid_header(std::string_view h) {
  const std::size_t colon = h.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  const std::string_view name = h.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_tchar)) return false;
  return !has_ctl(h.substr(colon + 1), /*allow_tab=*/true);
}

// A path for the request line (RFC 9112 §3.2.1 origin-form): starts with '/', no spaces or CTLs.
bool valid_path(std::string_view v) {
  return !v.empty() && v.front() == '/' && v.find(' ') == std::string_view::npos &&
         !has_ctl(v, /*allow_tab=*/false);
}

bool valid_scenario(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace loadgen::app::options_detail
