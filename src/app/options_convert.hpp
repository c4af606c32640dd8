// Internal to app/options*.cpp: turning the raw Settings of options_sources.hpp into Options.
// The value conversions shared by many options (options_convert.cpp), the per-option switch
// (options_apply.cpp) and the rules across options (options_rules.cpp).
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/options.hpp"
#include "app/options_sources.hpp"
#include "core/result.hpp"

namespace loadgen::app::options_detail {

std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);

// How a setting is named in cross-option messages.
std::string describe(const Setting& s);

// The reason in a core error message of the form "<what>: '<text>' is <reason>", plus its hint.
std::string reason_of(const core::Error& e, std::string_view what, std::string_view text);

// ---- value conversion ------------------------------------------------------------------------

// configargparse (1.5.3, convert_item_to_command_line_arg) accepts exactly these, case-insensitive,
// for flags in env vars and config files; anything else is an error there too. Unlike
// configargparse, an explicit false also overrides a true from a lower-precedence source.
std::optional<bool> parse_bool(std::string_view v);

template <class Int>
bool parse_integer(std::string_view v, Int& out) {
  v = trim(v);
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return !v.empty() && ec == std::errc() && ptr == v.data() + v.size();
}

// An int in [lo, hi]; reports "not an integer", "negative" or "out of range (lo..hi)".
void convert_int(const Setting& s, Problems& p, int lo, int hi, int& out);
void convert_bool(const Setting& s, Problems& p, bool& out);
void convert_timespan(const Setting& s, Problems& p, std::optional<std::chrono::seconds>& out);
// A duration > 0, rounded up to milliseconds.
void convert_duration(const Setting& s, Problems& p, std::chrono::milliseconds& out);
// A byte size: a number (decimals allowed with a unit) and an optional unit, case-insensitive:
// B/bytes, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024). Bounded to 1 TiB.
void convert_byte_size(const Setting& s, Problems& p, std::uint64_t& out);
// Light URL check through http::parse_url; the reason is the tail of its message.
void convert_host(const Setting& s, Problems& p, std::string& out);

// --header fields that would frame the request body ("Content-Length", "Transfer-Encoding"),
// "" for any other field.
std::string_view framing_header(std::string_view h);
// "Name: value": a token, a colon, then a field value without CR, LF or NUL (RFC 9110 §5.5).
bool valid_header(std::string_view h);
// A path for the request line (RFC 9112 §3.2.1 origin-form): starts with '/', no spaces or CTLs.
bool valid_path(std::string_view v);
// Lowercase letters, digits and '-'.
bool valid_scenario(std::string_view v);

// Applies one setting to `o` (options_apply.cpp); problems go to `p`.
void apply(OptionId id, const Setting& s, Options& o, Problems& p);

// The rules across options (options_rules.cpp): settings that cannot go together, or that need
// another one. `o` is the result of apply() over every setting.
void check_combinations(const Settings& settings, const Options& o, Problems& problems);

}  // namespace loadgen::app::options_detail
