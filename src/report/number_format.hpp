// Internal to report: numbers printed the way Locust's Python prints them, so that our CSV and
// JSON files read the same as Locust 2.12's.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace loadgen::report::detail {

// Python repr(float): shortest round-trip digits, always with a '.' or an exponent ("30.0",
// "0.06578947368421033", "1e-05"). fmt 9's "{}" picks the same digits and exponent thresholds.
inline std::string py_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";  // "inf"/"nan" contain 'n'
  return s;
}

// A millisecond value that Locust holds as an int (FastHttpUser) or a float (HttpUser): "7"
// when integral, else the float digits ("7.125").
inline std::string py_number(double v) { return fmt::format("{}", v); }

// Locust prints bucketed response times (median, percentiles) as ints; its buckets are rounded.
inline std::int64_t round_ms(double ms) { return std::llround(ms); }
// Python's "%d" % float truncates toward zero.
inline std::int64_t trunc_ms(double ms) { return static_cast<std::int64_t>(ms); }

}  // namespace loadgen::report::detail
