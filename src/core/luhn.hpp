// The Luhn check (ISO/IEC 7812-1 Annex B) on card numbers: one copy for the scenario's people
// file validation and shopsim's payment checks.
#pragma once

#include <string_view>

namespace loadgen::core {

// True when the decimal digits of `number` pass the Luhn check. Bytes that are not digits
// (the spaces and '-' of a written card number) are skipped; callers reject other bytes first.
// False when there is no digit at all.
inline bool luhn_valid(std::string_view number) {
  int sum = 0;
  bool twice = false;
  bool any = false;
  for (auto it = number.rbegin(); it != number.rend(); ++it) {
    if (*it < '0' || *it > '9') continue;
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
    any = true;
  }
  return any && sum % 10 == 0;
}

}  // namespace loadgen::core
