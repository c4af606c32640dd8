// Redaction of credentials in URLs before they are printed (logs, errors, summaries): every
// module that formats an endpoint or a URL from configuration uses this one helper.
#pragma once

#include <string>
#include <string_view>

namespace loadgen::core {

inline constexpr std::string_view kRedacted = "REDACTED";

// `url` with the userinfo of its authority (RFC 3986 §3.2.1, "user:password@") replaced by
// "REDACTED": "http://u:p@host:4318/v1" → "http://REDACTED@host:4318/v1". A scheme-less
// "u:p@host:4317" (a gRPC endpoint) is handled too. To stay safe with a malformed URL (a '/' left
// unencoded in a password), everything up to the last '@' before any '?' or '#' counts as
// userinfo. RFC 3986 §3.2.1 deprecates passwords in URIs and advises against displaying them.
inline std::string redact_userinfo(std::string_view url) {
  const std::size_t sep = url.find("://");
  const std::size_t start = sep == std::string_view::npos ? 0 : sep + 3;
  const std::size_t query = url.find_first_of("?#", start);
  const std::string_view head =
      url.substr(0, query == std::string_view::npos ? std::string_view::npos : query);
  const std::size_t at = head.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  std::string out;
  out.reserve(url.size());
  out.append(url.substr(0, start));
  out.append(kRedacted);
  out.append(url.substr(at));
  return out;
}

// `text` (an error message that may quote `url`) with every occurrence of `url` redacted.
inline std::string redact_url_in(std::string_view text, std::string_view url) {
  std::string out(text);
  if (url.empty()) return out;
  const std::string safe = redact_userinfo(url);
  if (safe == url) return out;
  for (std::size_t at = out.find(url); at != std::string::npos;
       at = out.find(url, at + safe.size())) {
    out.replace(at, url.size(), safe);
  }
  return out;
}

}  // namespace loadgen::core
