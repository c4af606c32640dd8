// JSON summary and a minimal RFC 8259 string escaper (see json.hpp).
#include "report/json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

#include "report/number_format.hpp"

namespace loadgen::report {
namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629 §4), or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return len;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN/Infinity
  return detail::py_float(v);
}

void field(std::string& out, std::string_view key, std::string_view value, bool last = false) {
  out += "        ";
  out += json_string(key);
  out += ": ";
  out += value;
  out += last ? "\n" : ",\n";
}

void append_entry(std::string& out, const stats::Entry& e, bool last) {
  out += "    {\n";
  field(out, "name", json_string(e.name));
  field(out, "method", json_string(e.method));
  field(out, "last_request_timestamp",
        e.last_request_timestamp == 0 ? "null" : json_number(e.last_request_timestamp));
  field(out, "start_time", json_number(e.start_time));
  field(out, "num_requests", std::to_string(e.num_requests));
  field(out, "num_none_requests", "0");
  field(out, "num_failures", std::to_string(e.num_failures));
  field(out, "total_response_time",
        json_number(static_cast<double>(e.total_response_time_us) / 1000.0));
  field(out, "max_response_time", json_number(e.max_response_time_ms()));
  field(out, "min_response_time",
        e.num_requests == 0 ? "null" : json_number(e.min_response_time_ms()));
  field(out, "total_content_length", std::to_string(e.total_content_length), true);
  out += last ? "    }\n" : "    },\n";
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\u{:04x}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
  return out;
}

std::string format_json_summary(const stats::Aggregate& a) {
  std::string out = "[\n";
  for (const stats::Entry* e : a.entries()) append_entry(out, *e, false);
  append_entry(out, a.total(), true);
  out += "]\n";
  return out;
}

}  // namespace loadgen::report
