// CookieJar: the cookies one simulated user keeps (RFC 6265 §5: Set-Cookie parsing, domain and
// path matching, Secure, Max-Age/Expires). No public-suffix list: a load generator talks to
// the hosts it is pointed at. Bounded as RFC 6265 §6.1 allows a user agent to be: a cookie
// over kMaxCookieBytes is ignored; beyond kMaxPerDomain cookies for a domain or kMaxCookies in
// all, expired cookies go first, then the oldest (§5.3 step 12).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen::http {
struct Url;
}

namespace loadgen::client {

class CookieJar {
 public:
  static constexpr std::size_t kMaxCookieBytes = 4096;  // name + value + attributes
  static constexpr std::size_t kMaxPerDomain = 50;
  static constexpr std::size_t kMaxCookies = 3000;

  // Stores one Set-Cookie field value received from `url`. Malformed values are ignored.
  void store(std::string_view set_cookie, const http::Url& url, std::int64_t now_s);
  // Same, for a request to `target` (origin-form path and query) on url's origin: the path
  // that §5.1.4 default-path and §5.4 path-match use is the request's, not url.target.
  void store(std::string_view set_cookie, const http::Url& url, std::string_view target,
             std::int64_t now_s);
  // Appends the Cookie header value for a request to `url` ("a=1; b=2"); false if none match.
  bool header_for(const http::Url& url, std::int64_t now_s, std::string& out) const;
  bool header_for(const http::Url& url, std::string_view target, std::int64_t now_s,
                  std::string& out) const;
  // Sets a cookie directly (for scenarios), host-only for `host`.
  void set(std::string_view name, std::string_view value, std::string_view host,
           std::string_view path = "/");
  // The value of the first cookie named `name`, empty if none.
  std::string_view get(std::string_view name) const;
  void clear() { cookies_.clear(); }
  std::size_t size() const { return cookies_.size(); }

 private:
  struct Cookie {
    std::string name, value, domain, path;
    bool host_only = true;
    bool secure = false;
    std::int64_t expires_s = 0;  // 0 = session cookie
  };
  void put(Cookie c, std::int64_t now_s);
  void evict(const std::string& domain, std::int64_t now_s);
  std::vector<Cookie> cookies_;
};

}  // namespace loadgen::client
