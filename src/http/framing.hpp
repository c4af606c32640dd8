// Internal to the http module: message framing fields shared by the request and response
// parsers (RFC 9110 §5.6.1 lists, §8.6 Content-Length; RFC 9112 §6.1 Transfer-Encoding,
// §9.3/§9.6 Connection).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/strings.hpp"
#include "http/char_class.hpp"

namespace loadgen::http::detail {

// Calls fn(element) for each non-empty, OWS-trimmed element of a comma-separated list
// (RFC 9110 §5.6.1: recipients accept and ignore empty elements).
template <class Fn>
inline void for_each_element(std::string_view list, Fn&& fn) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view elem = core::trim_ows(list.substr(0, comma));
    if (!elem.empty()) fn(elem);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
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
    bool any = false;
    for_each_element(value, [this, &any](std::string_view elem) {
      any = true;
      const bool first = !has_cl;
      has_cl = true;
      std::uint64_t v = 0;
      for (char c : elem) {
        if (!(c >= '0' && c <= '9') || v > (UINT64_MAX - 9) / 10) {
          cl_bad = true;
          return;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (!first && v != cl) cl_bad = true;
      cl = v;
    });
    if (!any) {
      has_cl = true;
      cl_bad = true;
    }
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
      te_final_chunked = iequals(coding, "chunked");
      if (te_final_chunked) ++te_chunked_count;
    });
    if (!any) te_bad = true;
  }

  // RFC 9112 §9.3, §9.6: connection options "close" and (HTTP/1.0) "keep-alive".
  void connection(std::string_view value) {
    for_each_element(value, [this](std::string_view elem) {
      if (iequals(elem, "close")) conn_close = true;
      if (iequals(elem, "keep-alive")) conn_keep_alive = true;
    });
  }

  // Returns true when `name` is one of the framing fields.
  bool field(std::string_view name, std::string_view value) {
    switch (name.size()) {
      case 10:
        if (!iequals(name, "connection")) return false;
        connection(value);
        return true;
      case 14:
        if (!iequals(name, "content-length")) return false;
        content_length(value);
        return true;
      case 17:
        if (!iequals(name, "transfer-encoding")) return false;
        transfer_encoding(value);
        return true;
      default:
        return false;
    }
  }
};

}  // namespace loadgen::http::detail
