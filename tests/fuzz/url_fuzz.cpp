// Fuzz target for parse_url and resolve_reference. Input: "URL\nREFERENCE" (no newline: the
// whole input is both). Checks the invariants of every parsed or resolved URL and that it
// serializes and parses back to itself. Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/url.hpp"

namespace {

using loadgen::http::Url;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "url_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

void check_url(const Url& u, bool resolved) {
  check(u.scheme == "http" || u.scheme == "https", "scheme");
  check(!u.host.empty(), "empty host");
  for (char c : u.host) check(!(c >= 'A' && c <= 'Z'), "host not lowercased");
  check(u.port != 0, "port 0");
  check(!u.target.empty() && u.target[0] == '/', "target must start with '/'");
  for (char c : u.target) {
    const auto b = static_cast<unsigned char>(c);
    check(b > 0x20 && b < 0x7f && c != '#', "target byte not sendable");
  }
  if (resolved) {
    // RFC 3986 §5.2.4: no "." or ".." segments remain in the path.
    const std::string_view path = std::string_view(u.target).substr(0, u.target.find('?'));
    std::size_t start = 1;
    while (start <= path.size()) {
      std::size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      const std::string_view seg = path.substr(start, end - start);
      check(seg != "." && seg != "..", "dot segment left after resolution");
      start = end + 1;
    }
  }
  // Serialize and parse back.
  std::string text = u.scheme + "://";
  if (!u.userinfo.empty()) text += u.userinfo + "@";
  text += u.host_header() + u.target;
  auto again = loadgen::http::parse_url(text);
  check(again.ok(), "serialized URL does not parse");
  check(*again == u, "serialized URL parses to something else");
  check(u.origin() == u.scheme + "://" + u.host_header(), "origin");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string_view first = input.substr(0, nl);
  const std::string_view ref = nl == std::string_view::npos ? input : input.substr(nl + 1);

  auto url = loadgen::http::parse_url(first);
  if (url.ok()) {
    check_url(*url, false);
  } else {
    check(url.error().code == "bad_url" && !url.error().message.empty(), "error shape");
  }
  auto base = url.ok() ? url : loadgen::http::parse_url("http://a/b/c/d;p?q");
  check(base.ok(), "fallback base");
  auto resolved = loadgen::http::resolve_reference(*base, ref);
  // RFC 3986 §5.2.2: an empty reference path keeps the base path as is, dot segments included.
  const bool ref_has_path = !ref.substr(0, ref.find_first_of("?#")).empty();
  if (resolved.ok()) check_url(*resolved, ref_has_path);
  return 0;
}
