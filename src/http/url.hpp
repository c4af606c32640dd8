// Absolute http/https URLs (RFC 3986) split into what an HTTP/1.1 client needs, and reference
// resolution (RFC 3986 §5.2) for following Location headers. Parsing happens at set-up and on
// redirects, not per request, so it returns core::Result and may allocate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace loadgen::http {

struct Url {
  std::string scheme;      // "http" or "https" (lowercased)
  std::string host;        // lowercased; IPv6 without brackets
  std::uint16_t port = 0;  // explicit or default 80/443
  std::string target;  // origin-form (RFC 9112 §3.2.1): path + optional "?query", starts with '/'
  std::string userinfo;  // "user:pass" if present (for basic auth), else empty

  bool tls() const;
  // host[:port] for the Host header (RFC 9110 §7.2): brackets for IPv6, port omitted when default.
  std::string host_header() const;
  // scheme://host_header()
  std::string origin() const;

  friend bool operator==(const Url&, const Url&) = default;
};

// Parses an absolute http or https URL. The fragment is dropped; an empty path becomes "/";
// non-ASCII bytes of path and query are percent-encoded. Errors (code "bad_url") name the text
// and what is wrong: bad scheme, empty host, bad port, spaces or control characters, ...
core::Result<Url> parse_url(std::string_view text);

// Resolves `ref` against `base` (RFC 3986 §5.2, with the non-strict §5.2.2 reading of
// "http:g"): absolute, scheme-relative "//h/p", absolute-path, relative path (with dot-segment
// removal, §5.2.4) and query-only references.
core::Result<Url> resolve_reference(const Url& base, std::string_view ref);

}  // namespace loadgen::http
