// The one HTML escaper, Python's html.escape (Locust escapes names and errors it puts in JSON;
// the HTML report escapes every string from outside): & < > always, " and ' when `quote`.
// Safe in element content and in double- or single-quoted attribute values (HTML §13.1.2.3).
#pragma once

#include <string>
#include <string_view>

namespace loadgen::core {

inline std::string html_escape(std::string_view s, bool quote = true) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += quote ? "&quot;" : "\"";
        break;
      case '\'':
        out += quote ? "&#x27;" : "'";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace loadgen::core
