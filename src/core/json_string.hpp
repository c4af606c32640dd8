// The one JSON string escaper (RFC 8259 §7), for the OTLP/JSON encoder, the file exporter and
// the reports. Ill-formed UTF-8 becomes U+FFFD (core/utf8.hpp), so the output is always valid.
#pragma once

#include <string>
#include <string_view>

namespace loadgen::core {

// The two choices RFC 8259 leaves to the writer; the defaults give the shortest output.
struct JsonStringStyle {
  bool escape_del = false;          // U+007F as \u007f (RFC 8259 allows it raw)
  bool escape_replacement = false;  // U+FFFD written as \ufffd instead of its UTF-8 bytes
};

// Appends s as a JSON string literal, quotes included: '"', '\\' and U+0000..U+001F escaped
// (\b \f \n \r \t by name, the rest as \u00xx, lower-case hex), well-formed UTF-8 passed
// through, every maximal ill-formed subpart replaced by one U+FFFD.
void append_json_string(std::string& out, std::string_view s, JsonStringStyle style = {});

}  // namespace loadgen::core
