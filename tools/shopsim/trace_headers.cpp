// W3C Trace Context and W3C Baggage header validation.
#include "trace_headers.hpp"

#include "query.hpp"

namespace loadgen::shopsim {

namespace {

constexpr std::size_t kMaxBaggageMembers = 64;
constexpr std::size_t kMaxBaggageBytes = 8192;

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool lower_hex_not_zero(std::string_view s) {
  bool nonzero = false;
  for (char c : s) {
    if (!is_lower_hex(c)) return false;
    if (c != '0') nonzero = true;
  }
  return nonzero;
}

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (no DQUOTE , ; \ or space)
bool is_baggage_octet(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool valid_value(std::string_view v) {
  for (char c : v) {
    if (!is_baggage_octet(c)) return false;
  }
  return true;
}

// One list-member; on success sets key and decoded value.
bool parse_member(std::string_view member, std::string& key, std::string& value) {
  const std::size_t semi = member.find(';');
  const std::string_view kv = member.substr(0, semi);
  const std::size_t eq = kv.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view k = trim(kv.substr(0, eq));
  const std::string_view v = trim(kv.substr(eq + 1));
  if (!is_token(k) || !valid_value(v)) return false;
  // The percent sign must itself be encoded, so a bad %-sequence makes the value invalid.
  auto decoded = percent_decode(v, false);
  if (!decoded) return false;
  // property = key OWS "=" OWS value / key OWS
  std::string_view rest = semi == std::string_view::npos ? "" : member.substr(semi + 1);
  while (semi != std::string_view::npos) {
    const std::size_t next = rest.find(';');
    const std::string_view prop = rest.substr(0, next);
    const std::size_t peq = prop.find('=');
    if (!is_token(trim(prop.substr(0, peq)))) return false;
    if (peq != std::string_view::npos && !valid_value(trim(prop.substr(peq + 1)))) return false;
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  key.assign(k);
  value = std::move(*decoded);
  return true;
}

}  // namespace

TraceparentCheck check_traceparent(std::string_view v) {
  TraceparentCheck out;
  // version "-" trace-id "-" parent-id "-" trace-flags
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return out;
  const std::string_view version = v.substr(0, 2);
  if (!is_lower_hex(version[0]) || !is_lower_hex(version[1]) || version == "ff") return out;
  if (version == "00" && v.size() != 55) return out;
  if (v.size() > 55 && v[55] != '-') return out;
  const std::string_view trace_id = v.substr(3, 32);
  const std::string_view parent_id = v.substr(36, 16);
  const std::string_view flags = v.substr(53, 2);
  if (!lower_hex_not_zero(trace_id) || !lower_hex_not_zero(parent_id)) return out;
  if (!is_lower_hex(flags[0]) || !is_lower_hex(flags[1])) return out;
  out.valid = true;
  out.trace_id.assign(trace_id);
  return out;
}

BaggageCheck check_baggage(const std::vector<std::string_view>& values) {
  BaggageCheck out;
  std::size_t bytes = 0;
  std::size_t members = 0;
  std::string key;
  std::string value;
  for (std::size_t i = 0; i < values.size(); ++i) {
    bytes += values[i].size() + (i > 0 ? 1 : 0);
    std::string_view list = values[i];
    while (true) {
      const std::size_t comma = list.find(',');
      const std::string_view member = trim(list.substr(0, comma));
      if (member.empty() || !parse_member(member, key, value)) return BaggageCheck{};
      ++members;
      if (key == "synthetic_request" && value == "true") out.synthetic = true;
      if (key == "session.id" && !value.empty()) out.session_id = value;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  if (members == 0 || members > kMaxBaggageMembers || bytes > kMaxBaggageBytes) {
    return BaggageCheck{};
  }
  out.valid = true;
  return out;
}

}  // namespace loadgen::shopsim
