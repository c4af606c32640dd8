// The one UTF-8 validator and sanitizer (Unicode 15 §3.9, Table 3-7 well-formed byte
// sequences), for every module that checks or repairs text: OTLP encoders, baggage, reports.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loadgen::core {

// U+FFFD REPLACEMENT CHARACTER as UTF-8.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

// Length of the longest prefix of s that is well-formed UTF-8 (no overlongs, no surrogates
// D800..DFFF, nothing above U+10FFFF, no sequence cut short by the end of s).
std::size_t utf8_valid_prefix(std::string_view s);

inline bool is_valid_utf8(std::string_view s) { return utf8_valid_prefix(s) == s.size(); }

// The UTF-8 sequence starting at s[i] (i < s.size()): returns its length and sets `valid`; if
// it is not well-formed, returns the length of its maximal subpart (>= 1), which is replaced by
// exactly one U+FFFD (Unicode "substitution of maximal subparts", the W3C/WHATWG practice).
std::size_t utf8_sequence(std::string_view s, std::size_t i, bool& valid);

// Appends s with every maximal ill-formed subpart replaced by U+FFFD (EF BF BD).
void append_utf8_sanitized(std::string& out, std::string_view s);

// Shortens s to at most max_bytes without cutting a multi-byte character: backs up over
// continuation bytes (10xxxxxx) from the cut. Ill-formed input stays ill-formed.
void utf8_truncate(std::string& s, std::size_t max_bytes);

}  // namespace loadgen::core
