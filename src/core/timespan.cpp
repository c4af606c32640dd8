// Timespan and duration parsing (see timespan.hpp).
#include "core/timespan.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace loadgen::core {
namespace {

constexpr std::string_view kTimespanHint =
    "valid formats: 20, 20s, 3m, 2h, 1h20m, 1h 30m, 3h30m10s (a bare number is seconds)";
constexpr std::string_view kDurationHint =
    "use a number and a unit: 250ms, 1.5s, 2m, 1h (a bare number is seconds)";

// Ten years: anything longer is a typo, and the bound keeps every sum below overflow.
constexpr std::int64_t kMaxSeconds = std::int64_t{10} * 365 * 24 * 3600;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Reads a run of digits at `pos` into `out`; false when there is none or it is absurdly large.
bool read_digits(std::string_view s, std::size_t& pos, std::int64_t& out) {
  const std::size_t start = pos;
  while (pos < s.size() && is_digit(s[pos])) ++pos;
  if (pos == start) return false;
  const auto [ptr, ec] = std::from_chars(s.data() + start, s.data() + pos, out);
  return ec == std::errc() && ptr == s.data() + pos && out <= kMaxSeconds;
}

Error timespan_error(std::string_view text, std::string_view what, std::string_view why) {
  return make_error("bad_timespan", fmt::format("{}: '{}' is {}", what, text, why),
                    std::string(kTimespanHint));
}

Error duration_error(std::string_view text, std::string_view what, std::string_view why) {
  return make_error("bad_duration", fmt::format("{}: '{}' is {}", what, text, why),
                    std::string(kDurationHint));
}

}  // namespace

// Locust's regex is `((\d+?)h)?((\d+?)m)?((\d+?)s)?` applied with re.match, which silently
// ignores trailing garbage ("1h 30m" is one hour, "20sx" is 20 s there). We accept the same
// units in the same order, allow spaces between the parts, and reject anything else.
Result<std::chrono::seconds> parse_timespan(std::string_view text, std::string_view what) {
  const std::string_view s = trim(text);
  if (s.empty()) return timespan_error(text, what, "not a valid timespan (empty)");
  if (s.front() == '-') return timespan_error(text, what, "negative");

  std::int64_t total = 0;
  std::size_t pos = 0;
  int next_unit = 0;  // 0: h allowed, 1: m, 2: s, 3: nothing more
  bool any = false;
  while (pos < s.size()) {
    std::int64_t n = 0;
    if (!read_digits(s, pos, n)) return timespan_error(text, what, "not a valid timespan");
    if (pos == s.size()) {
      // A bare integer is seconds, but only on its own ("20"), not after a unit ("1h20").
      if (any) return timespan_error(text, what, "not a valid timespan (missing unit)");
      return std::chrono::seconds(n);
    }
    int unit = 0;
    std::int64_t scale = 1;
    switch (s[pos]) {
      case 'h':
        unit = 0;
        scale = 3600;
        break;
      case 'm':
        unit = 1;
        scale = 60;
        break;
      case 's':
        unit = 2;
        scale = 1;
        break;
      default:
        return timespan_error(text, what, "not a valid timespan");
    }
    if (unit < next_unit)
      return timespan_error(text, what, "not a valid timespan (order is h, m, s)");
    next_unit = unit + 1;
    ++pos;
    total += n * scale;
    if (total > kMaxSeconds) return timespan_error(text, what, "too long");
    any = true;
    while (pos < s.size() && is_space(s[pos])) ++pos;
  }
  return std::chrono::seconds(total);
}

Result<std::chrono::nanoseconds> parse_duration(std::string_view text, std::string_view what) {
  const std::string_view s = trim(text);
  if (s.empty()) return duration_error(text, what, "not a valid duration (empty)");
  if (s.front() == '-') return duration_error(text, what, "negative");

  // Number: digits with at most one '.', at least one digit; no sign, exponent, inf or nan.
  std::size_t pos = 0;
  bool digits = false;
  bool dot = false;
  while (pos < s.size() && (is_digit(s[pos]) || (s[pos] == '.' && !dot))) {
    if (s[pos] == '.')
      dot = true;
    else
      digits = true;
    ++pos;
  }
  if (!digits) return duration_error(text, what, "not a valid duration");
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + pos, value);
  if (ec != std::errc() || ptr != s.data() + pos) {
    return duration_error(text, what, "not a valid duration");
  }

  std::string_view unit = trim(s.substr(pos));
  double scale = 1e9;  // bare number = seconds
  if (unit.empty() || unit == "s") {
    scale = 1e9;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "m") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else {
    return duration_error(text, what,
                          fmt::format("not a valid duration (unknown unit '{}')", unit));
  }
  const double ns = std::round(value * scale);
  if (!(ns < static_cast<double>(kMaxSeconds) * 1e9)) return duration_error(text, what, "too long");
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

std::string format_seconds(std::chrono::seconds s) {
  std::int64_t v = s.count();
  std::string out;
  if (v < 0) {
    out = "-";
    v = -v;
  }
  const std::int64_t h = v / 3600;
  const std::int64_t m = v % 3600 / 60;
  const std::int64_t sec = v % 60;
  std::string parts;
  if (h != 0) parts += fmt::format("{}h", h);
  if (m != 0) parts += fmt::format("{}{}m", parts.empty() ? "" : " ", m);
  if (sec != 0 || parts.empty()) parts += fmt::format("{}{}s", parts.empty() ? "" : " ", sec);
  return out + parts;
}

}  // namespace loadgen::core
