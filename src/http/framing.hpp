// Internal to the http module: message framing fields shared by the request and response
// parsers (RFC 9110 §5.6.1 lists, §8.6 Content-Length; RFC 9112 §6.1 Transfer-Encoding,
// §9.3/§9.6 Connection).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/strings.hpp"
#include "http/char_class.hpp"

namespace loadgen::http::detail {

// Calls fn(element) for each non-empty, OWS-trimmed element of a comma-separated list
// (RFC 9110 §5.6.1: recipients accept and ignore empty elements). The lists here are short
// ("615", "keep-alive"), so a byte loop rather than a memchr call per element.
template <class Fn>
inline void for_each_element(std::string_view list, Fn&& fn) {
  const char* p = list.data();
  const char* const end = p + list.size();
  while (true) {
    const char* comma = p;
    while (comma != end && *comma != ',') ++comma;
    const std::string_view elem =
        core::trim_ows(std::string_view(p, static_cast<std::size_t>(comma - p)));
    if (!elem.empty()) fn(elem);
    if (comma == end) return;
    p = comma + 1;
  }
}

// Case-insensitive equality with `lower`, a constant of lowercase letters and '-' only, for an
// `s` without CR: field names (tokens, RFC 9110 §5.6.2) and field values (no CR, RFC 9110
// §5.5). Setting bit 0x20 lowers an ASCII capital and keeps lowercase letters and '-' as they
// are; of the other bytes only CR (0x0d) would become one of those ('-'). Eight bytes a step.
inline bool equals_lower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  constexpr std::uint64_t kCase = 0x2020202020202020;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, s.data() + i, 8);
    std::memcpy(&b, lower.data() + i, 8);
    if ((a | kCase) != b) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<char>(s[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// What the framing-relevant fields said, gathered while the field lines are parsed.
struct Framing {
  bool has_cl = false;
  bool cl_bad = false;
  std::uint64_t cl = 0;
  bool has_te = false;
  bool te_bad = false;
  bool te_final_chunked = false;
  int te_chunked_count = 0;
  bool conn_close = false;
  bool conn_keep_alive = false;

  // RFC 9110 §8.6: Content-Length = 1*DIGIT; a list of identical values may be accepted.
  void content_length(std::string_view value) {
    std::uint64_t v = 0;
    // The common case, one value, without the list walk.
    if (!value.empty() && decimal(value, v)) {
      length_value(v);
      return;
    }
    bool any = false;
    for_each_element(value, [this, &any](std::string_view elem) {
      any = true;
      std::uint64_t n = 0;
      if (!decimal(elem, n)) {
        has_cl = true;
        cl_bad = true;
        return;
      }
      length_value(n);
    });
    if (!any) {
      has_cl = true;
      cl_bad = true;
    }
  }
  // One Content-Length value: a second one that differs makes the length bad.
  void length_value(std::uint64_t v) {
    if (has_cl && v != cl) cl_bad = true;
    has_cl = true;
    cl = v;
  }
  // 1*DIGIT into `v`; false for any other byte, or a value past what 64 bits hold.
  static bool decimal(std::string_view s, std::uint64_t& v) {
    v = 0;
    for (const char c : s) {
      if (!(c >= '0' && c <= '9') || v > (UINT64_MAX - 9) / 10) return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  }

  // RFC 9112 §6.1: Transfer-Encoding = #transfer-coding; only the final coding decides framing.
  void transfer_encoding(std::string_view value) {
    has_te = true;
    bool any = false;
    for_each_element(value, [this, &any](std::string_view elem) {
      any = true;
      const std::string_view coding = core::trim_ows(elem.substr(0, elem.find(';')));
      if (coding.empty()) te_bad = true;
      for (char c : coding) {
        if (!is_tchar(c)) te_bad = true;
      }
      te_final_chunked = equals_lower(coding, "chunked");
      if (te_final_chunked) ++te_chunked_count;
    });
    if (!any) te_bad = true;
  }

  // RFC 9112 §9.3, §9.6: connection options "close" and (HTTP/1.0) "keep-alive".
  void connection(std::string_view value) {
    // The common cases, one option and no list (`value` is trimmed of OWS already).
    if (equals_lower(value, "keep-alive")) {
      conn_keep_alive = true;
      return;
    }
    if (equals_lower(value, "close")) {
      conn_close = true;
      return;
    }
    for_each_element(value, [this](std::string_view elem) {
      if (equals_lower(elem, "close")) conn_close = true;
      if (equals_lower(elem, "keep-alive")) conn_keep_alive = true;
    });
  }

  // Takes `name` when it is one of the framing fields; else hands the field to `other`. Called
  // for every field of a head: the length picks the one candidate before any byte is compared.
  template <class Other>
  void field(std::string_view name, std::string_view value, Other&& other) {
    switch (name.size()) {
      case 10:
        if (equals_lower(name, "connection")) return connection(value);
        break;
      case 14:
        if (equals_lower(name, "content-length")) return content_length(value);
        break;
      case 17:
        if (equals_lower(name, "transfer-encoding")) return transfer_encoding(value);
        break;
      default:
        break;
    }
    other(name, value);
  }
  // Returns true when `name` is one of the framing fields.
  bool field(std::string_view name, std::string_view value) {
    bool framing = true;
    field(name, value, [&framing](std::string_view, std::string_view) { framing = false; });
    return framing;
  }
};

}  // namespace loadgen::http::detail
