// Internal to the http module: ASCII character classes from RFC 9110 §5.6.2 (tchar) and
// RFC 3986 §2, as constexpr tables, and case-insensitive comparison.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "core/strings.hpp"

namespace loadgen::http::detail {

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//                          "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr std::array<bool, 256> kTchar = make_tchar_table();

inline bool is_tchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }

using core::iequals;
inline char to_lower(char c) { return core::ascii_lower(c); }

}  // namespace loadgen::http::detail
