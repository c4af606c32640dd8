// UTF-8 validation and sanitizing (see utf8.hpp).
#include "core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace loadgen::core {

namespace {

// Checks the sequence at s[i]; returns its length if well-formed, else 0 and sets *subpart to
// the length of the maximal subpart (Unicode 15 §3.9, Table 3-7 well-formed byte sequences).
std::size_t sequence_at(std::string_view s, std::size_t i, std::size_t* subpart) {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t need = 0;
  std::uint8_t lo = 0x80;
  std::uint8_t hi = 0xBF;  // range of the second byte; later ones are always 80..BF
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 == 0xE0) {  // excludes overlong three-byte forms
    need = 2;
    lo = 0xA0;
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    need = 2;
  } else if (b0 == 0xED) {  // excludes the UTF-16 surrogates D800..DFFF
    need = 2;
    hi = 0x9F;
  } else if (b0 == 0xF0) {  // excludes overlong four-byte forms
    need = 3;
    lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    need = 3;
  } else if (b0 == 0xF4) {  // up to U+10FFFF
    need = 3;
    hi = 0x8F;
  } else {
    *subpart = 1;  // C0, C1 (overlong two-byte forms), F5..FF, or a stray continuation byte
    return 0;
  }
  std::size_t got = 0;
  while (got < need && i + 1 + got < s.size()) {
    const auto b = static_cast<std::uint8_t>(s[i + 1 + got]);
    const std::uint8_t l = got == 0 ? lo : 0x80;
    const std::uint8_t h = got == 0 ? hi : 0xBF;
    if (b < l || b > h) break;
    ++got;
  }
  if (got == need) return need + 1;
  *subpart = got + 1;
  return 0;
}

}  // namespace

std::size_t utf8_valid_prefix(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w = 0;
      std::memcpy(&w, s.data() + i, 8);
      if ((w & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<std::uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t subpart = 0;
    const std::size_t len = sequence_at(s, i, &subpart);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

std::size_t utf8_sequence(std::string_view s, std::size_t i, bool& valid) {
  std::size_t subpart = 1;
  const std::size_t len = sequence_at(s, i, &subpart);
  valid = len != 0;
  return valid ? len : subpart;
}

void append_utf8_sanitized(std::string& out, std::string_view s) {
  while (!s.empty()) {
    const std::size_t ok = utf8_valid_prefix(s);
    out.append(s.data(), ok);
    if (ok == s.size()) return;
    out.append(kUtf8Replacement);
    bool valid = false;
    s.remove_prefix(ok + utf8_sequence(s, ok, valid));
  }
}

void utf8_truncate(std::string& s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0u) == 0x80u) --n;
  s.resize(n);
}

}  // namespace loadgen::core
