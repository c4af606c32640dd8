// JSON string escaping (see json_string.hpp).
#include "core/json_string.hpp"

#include <cstdint>

#include "core/utf8.hpp"

namespace loadgen::core {

namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

void append_json_string(std::string& o, std::string_view s, JsonStringStyle style) {
  o += '"';
  std::size_t run = 0;  // start of the pending run of bytes copied verbatim
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80 && !(c == 0x7F && style.escape_del)) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      bool valid = false;
      const std::size_t n = utf8_sequence(s, i, valid);
      if (valid) {
        i += n;
        continue;
      }
      o.append(s.data() + run, i - run);
      o += style.escape_replacement ? std::string_view("\\ufffd") : kUtf8Replacement;
      i += n;
      run = i;
      continue;
    }
    o.append(s.data() + run, i - run);
    switch (c) {  // RFC 8259 §7: quotation mark, reverse solidus and controls must be escaped
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\b':
        o += "\\b";
        break;
      case '\f':
        o += "\\f";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        o.append(esc, sizeof esc);
      }
    }
    ++i;
    run = i;
  }
  o.append(s.data() + run, s.size() - run);
  o += '"';
}

}  // namespace loadgen::core
