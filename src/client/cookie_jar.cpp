#include "client/cookie_jar.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <optional>

#include "core/strings.hpp"
#include "http/url.hpp"

namespace loadgen::client {

namespace {

using core::iequals;
using core::trim_ows;

std::string lower(std::string_view s) { return core::ascii_lowercase(s); }

std::string_view path_of(std::string_view t) {
  if (auto q = t.find('?'); q != std::string_view::npos) t = t.substr(0, q);
  return t.empty() ? "/" : t;
}

// RFC 6265 §5.1.4 default-path.
std::string default_path(std::string_view target) {
  std::string_view p = path_of(target);
  auto slash = p.rfind('/');
  if (slash == 0 || slash == std::string_view::npos) return "/";
  return std::string(p.substr(0, slash));
}

bool domain_matches(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) &&
         host[host.size() - domain.size() - 1] == '.';
}

bool path_matches(std::string_view req, std::string_view cookie) {
  if (req == cookie) return true;
  if (!req.starts_with(cookie)) return false;
  return cookie.back() == '/' || req[cookie.size()] == '/';
}

// RFC 1123 dates as sent in Expires (the common form only; others make it a session cookie).
// nullopt when unparsable (1970-01-01 00:00:00, the usual "delete" date, is 0 and valid).
std::optional<std::int64_t> parse_http_date(std::string_view s) {
  std::string buf(s);
  std::tm tm{};
  if (const char* end = strptime(buf.c_str(), "%a, %d %b %Y %H:%M:%S", &tm); end == nullptr) {
    if (strptime(buf.c_str(), "%a, %d-%b-%Y %H:%M:%S", &tm) == nullptr) return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

void CookieJar::store(std::string_view set_cookie, const http::Url& url, std::int64_t now_s) {
  store(set_cookie, url, url.target, now_s);
}

void CookieJar::store(std::string_view set_cookie, const http::Url& url, std::string_view target,
                      std::int64_t now_s) {
  // RFC 6265 §6.1: a user agent need not store a cookie over 4096 bytes; browsers ignore it.
  if (set_cookie.size() > kMaxCookieBytes) return;
  std::string_view rest = set_cookie;
  auto semi = rest.find(';');
  std::string_view pair = trim_ows(rest.substr(0, semi));
  rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
  auto eq = pair.find('=');
  if (eq == std::string_view::npos) return;  // §5.2 step 2: no '=' → ignore
  Cookie c;
  c.name = std::string(trim_ows(pair.substr(0, eq)));
  c.value = std::string(trim_ows(pair.substr(eq + 1)));
  if (c.name.empty()) return;
  c.domain = url.host;
  c.path = default_path(target);
  bool have_max_age = false;
  bool expired = false;
  while (!rest.empty()) {
    semi = rest.find(';');
    std::string_view attr = trim_ows(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    auto aeq = attr.find('=');
    std::string_view key = trim_ows(attr.substr(0, aeq));
    std::string_view val =
        aeq == std::string_view::npos ? std::string_view{} : trim_ows(attr.substr(aeq + 1));
    if (iequals(key, "domain") && !val.empty()) {
      if (val.front() == '.') val.remove_prefix(1);
      std::string d = lower(val);
      if (!domain_matches(url.host, d)) return;  // §5.3 step 6: reject foreign domains
      c.domain = std::move(d);
      c.host_only = false;
    } else if (iequals(key, "path") && !val.empty() && val.front() == '/') {
      c.path = std::string(val);
    } else if (iequals(key, "secure")) {
      c.secure = true;
    } else if (iequals(key, "max-age")) {
      std::int64_t secs = 0;
      auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), secs);
      if (ec == std::errc() && p == val.data() + val.size()) {
        // §5.3 step 3: Max-Age wins over Expires, whichever comes first.
        have_max_age = true;
        expired = secs <= 0;
        c.expires_s = expired ? 0 : now_s + secs;
      }
    } else if (iequals(key, "expires") && !have_max_age) {
      if (const auto at = parse_http_date(val)) {
        expired = *at <= now_s;
        c.expires_s = expired ? 0 : *at;
      }
    }
  }
  if (expired) {
    std::erase_if(cookies_, [&](const Cookie& o) {
      return o.name == c.name && o.domain == c.domain && o.path == c.path;
    });
    return;
  }
  put(std::move(c), now_s);
}

// cookies_ is in creation order: a replaced cookie keeps its place (RFC 6265 §5.3 step 11.3
// keeps the old creation-time), so the front is the oldest.
void CookieJar::put(Cookie c, std::int64_t now_s) {
  for (auto& o : cookies_) {
    if (o.name == c.name && o.domain == c.domain && o.path == c.path) {
      o = std::move(c);
      return;
    }
  }
  evict(c.domain, now_s);
  cookies_.push_back(std::move(c));
}

// Makes room for one more cookie of `domain` (RFC 6265 §5.3 step 12, §6.1 limits).
void CookieJar::evict(const std::string& domain, std::int64_t now_s) {
  auto expired = [now_s](const Cookie& o) { return o.expires_s != 0 && o.expires_s <= now_s; };
  std::size_t in_domain = 0;
  for (const auto& o : cookies_)
    if (o.domain == domain) ++in_domain;
  if (in_domain < kMaxPerDomain && cookies_.size() < kMaxCookies) return;
  std::erase_if(cookies_, expired);
  in_domain = 0;
  for (const auto& o : cookies_)
    if (o.domain == domain) ++in_domain;
  if (in_domain >= kMaxPerDomain) {
    const auto oldest = std::find_if(cookies_.begin(), cookies_.end(),
                                     [&](const Cookie& o) { return o.domain == domain; });
    cookies_.erase(oldest);
  }
  if (cookies_.size() >= kMaxCookies) cookies_.erase(cookies_.begin());
}

bool CookieJar::header_for(const http::Url& url, std::int64_t now_s, std::string& out) const {
  return header_for(url, url.target, now_s, out);
}

bool CookieJar::header_for(const http::Url& url, std::string_view target, std::int64_t now_s,
                           std::string& out) const {
  bool any = false;
  const std::string_view path = path_of(target);
  for (const auto& c : cookies_) {
    if (c.expires_s != 0 && c.expires_s <= now_s) continue;
    if (c.secure && !url.tls()) continue;
    if (c.host_only ? url.host != c.domain : !domain_matches(url.host, c.domain)) continue;
    if (!path_matches(path, c.path)) continue;
    if (any) out += "; ";
    out += c.name;
    out += '=';
    out += c.value;
    any = true;
  }
  return any;
}

void CookieJar::set(std::string_view name, std::string_view value, std::string_view host,
                    std::string_view path) {
  Cookie c;
  c.name = std::string(name);
  c.value = std::string(value);
  c.domain = lower(host);
  c.path = std::string(path);
  put(std::move(c), 0);
}

std::string_view CookieJar::get(std::string_view name) const {
  for (const auto& c : cookies_) {
    if (c.name == name) return c.value;
  }
  return {};
}

}  // namespace loadgen::client
