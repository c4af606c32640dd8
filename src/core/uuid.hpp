// Random UUIDs (RFC 9562 §5.4, version 4) from a simulated user's RNG: session and user ids.
#pragma once

#include <cstdint>
#include <string>

#include "core/random.hpp"

namespace loadgen::core {

inline std::string uuid4(Rng& rng) {
  std::uint64_t hi = rng.next();
  std::uint64_t lo = rng.next();
  hi = (hi & ~0xF000ull) | 0x4000ull;              // version 4
  lo = (lo & ~(0xC0ull << 56)) | (0x80ull << 56);  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](std::uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[static_cast<std::size_t>(pos++)] = kHex[(v >> (i * 4)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

}  // namespace loadgen::core
