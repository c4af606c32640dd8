// URL parsing (RFC 3986 §3) restricted to absolute http/https URLs, and reference resolution
// (RFC 3986 §5.2) for redirects.
#include "http/url.hpp"

#include <charconv>
#include <cstddef>
#include <string>

#include "http/char_class.hpp"

namespace loadgen::http {

namespace {

constexpr std::string_view kHint =
    "use an absolute URL such as http://host:8080/path (percent-encode spaces as %20)";

core::Error url_error(std::string_view text, std::string_view what) {
  std::string msg = "invalid URL '";
  // Show control characters visibly so the message itself stays one clean line.
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      msg += "\\x";
      msg += kHex[u >> 4];
      msg += kHex[u & 0xf];
    } else {
      msg += c;
    }
  }
  msg += "': ";
  msg += what;
  return core::make_error("bad_url", std::move(msg), std::string(kHint));
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3986 §2.3 unreserved and §2.2 sub-delims, plus '%' of pct-encoded (not decoded here).
bool is_regname_char(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '%':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

// Space and control characters are never valid in a URI (RFC 3986 §2).
bool has_space_or_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by ':'.
// Returns the scheme's length, or 0 when `s` does not start with a scheme.
std::size_t scheme_length(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return i;
    if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) return 0;
  }
  return 0;
}

// Appends path/query text, percent-encoding bytes outside ASCII (RFC 3986 §2.1).
void append_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
}

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

// RFC 3986 §5.2.4 remove_dot_segments.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  auto pop_segment = [&out] {
    const auto slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);  // leaves "/..."
    } else if (in == "/.") {
      out += '/';
      in = {};
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);  // leaves "/..."
      pop_segment();
    } else if (in == "/..") {
      pop_segment();
      out += '/';
      in = {};
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      std::size_t end = in.find('/', 1);
      if (end == std::string_view::npos) end = in.size();
      out.append(in.substr(0, end));
      in.remove_prefix(end);
    }
  }
  return out;
}

// Splits "path?query" keeping the '?' with the query.
void split_target(std::string_view target, std::string_view& path, std::string_view& query) {
  const auto q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string_view{} : target.substr(q);
}

// Gives a resolved URL's path a leading '/' and no dot segments.
void normalize_target(Url& url) {
  std::string_view path;
  std::string_view query;
  split_target(url.target, path, query);
  std::string t = remove_dot_segments(path);
  if (t.empty() || t[0] != '/') t.insert(t.begin(), '/');
  t.append(query);
  url.target = std::move(t);
}

}  // namespace

bool Url::tls() const { return scheme == "https"; }

std::string Url::host_header() const {
  std::string s;
  const bool ipv6 = host.find(':') != std::string::npos;
  s.reserve(host.size() + 8);
  if (ipv6) s += '[';
  s += host;
  if (ipv6) s += ']';
  if (port != default_port(scheme)) {
    s += ':';
    s += std::to_string(port);
  }
  return s;
}

std::string Url::origin() const { return scheme + "://" + host_header(); }

core::Result<Url> parse_url(std::string_view text) {
  if (text.empty()) return url_error(text, "empty URL");
  if (has_space_or_control(text)) return url_error(text, "contains spaces or control characters");

  // scheme "://"
  const std::size_t slen = scheme_length(text);
  if (slen == 0) return url_error(text, "missing scheme (expected http:// or https://)");
  Url url;
  url.scheme.reserve(slen);
  for (char c : text.substr(0, slen)) url.scheme += detail::to_lower(c);
  if (url.scheme != "http" && url.scheme != "https") {
    return url_error(text, "unsupported scheme '" + url.scheme + "' (expected http or https)");
  }
  std::string_view rest = text.substr(slen + 1);
  if (!rest.starts_with("//")) return url_error(text, "expected '//' after the scheme");
  rest.remove_prefix(2);

  // RFC 3986 §3.2: authority ends at the first '/', '?' or '#'.
  const std::size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view path_etc =
      auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);

  // userinfo "@"
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    for (char c : userinfo) {
      if (!is_regname_char(c) && c != ':') return url_error(text, "bad character in userinfo");
    }
    url.userinfo.assign(userinfo);
    authority.remove_prefix(at + 1);
  }

  // host: IP-literal "[...]" or reg-name / IPv4address (RFC 3986 §3.2.2)
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return url_error(text, "unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    if (host.empty() || host.find(':') == std::string_view::npos) {
      return url_error(text, "bad IPv6 literal");
    }
    for (char c : host) {
      if (!is_hex(c) && c != ':' && c != '.') return url_error(text, "bad IPv6 literal");
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return url_error(text, "unexpected text after IPv6 literal");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    for (char c : host) {
      if (!is_regname_char(c)) return url_error(text, "bad character in host");
    }
  }
  if (host.empty()) return url_error(text, "empty host");
  url.host.reserve(host.size());
  for (char c : host) url.host += detail::to_lower(c);

  // port = *DIGIT; an empty port means the default (RFC 3986 §3.2.3).
  url.port = default_port(url.scheme);
  if (has_port && !port_text.empty()) {
    unsigned value = 0;
    for (char c : port_text) {
      if (!is_digit(c)) return url_error(text, "bad port (expected a number 1-65535)");
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 65535) return url_error(text, "bad port (expected a number 1-65535)");
    }
    if (value == 0) return url_error(text, "bad port (expected a number 1-65535)");
    url.port = static_cast<std::uint16_t>(value);
  }

  // path-abempty [ "?" query ], fragment dropped (RFC 3986 §3.5: never sent).
  path_etc = path_etc.substr(0, path_etc.find('#'));
  if (path_etc.empty() || path_etc[0] != '/') url.target += '/';
  append_encoded(url.target, path_etc);
  return url;
}

core::Result<Url> resolve_reference(const Url& base, std::string_view ref) {
  if (has_space_or_control(ref)) {
    return url_error(ref, "reference contains spaces or control characters");
  }
  ref = ref.substr(0, ref.find('#'));  // fragments are never sent

  const std::size_t slen = scheme_length(ref);
  if (slen != 0) {
    const bool same_scheme = detail::iequals(ref.substr(0, slen), base.scheme);
    if (same_scheme && !ref.substr(slen + 1).starts_with("//")) {
      // RFC 3986 §5.2.2 non-strict: "http:g" is relative when the scheme matches the base.
      ref.remove_prefix(slen + 1);
    } else {
      auto url = parse_url(ref);
      if (url) normalize_target(*url);
      return url;
    }
  }
  if (ref.starts_with("//")) {
    std::string abs = base.scheme;
    abs += ':';
    abs.append(ref);
    auto url = parse_url(abs);
    if (url) normalize_target(*url);
    return url;
  }

  std::string_view rpath;
  std::string_view rquery;
  split_target(ref, rpath, rquery);
  std::string_view bpath;
  std::string_view bquery;
  split_target(base.target, bpath, bquery);

  Url t;
  t.scheme = base.scheme;
  t.host = base.host;
  t.port = base.port;
  t.userinfo = base.userinfo;
  std::string path;
  if (rpath.empty()) {
    path.assign(bpath);
    if (rquery.empty()) rquery = bquery;
  } else if (rpath[0] == '/') {
    path = remove_dot_segments(rpath);
  } else {
    // RFC 3986 §5.2.3 merge: base path up to and including its last '/'.
    std::string merged;
    const std::size_t slash = bpath.rfind('/');
    if (slash == std::string_view::npos) {
      merged = "/";
    } else {
      merged.assign(bpath.substr(0, slash + 1));
    }
    merged.append(rpath);
    path = remove_dot_segments(merged);
  }
  if (path.empty() || path[0] != '/') path.insert(path.begin(), '/');
  t.target.reserve(path.size() + rquery.size());
  append_encoded(t.target, path);
  append_encoded(t.target, rquery);
  return t;
}

}  // namespace loadgen::http
