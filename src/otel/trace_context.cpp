// W3C traceparent/tracestate parsing and formatting, B3 formatting.
#include "otel/trace_context.hpp"

#include <algorithm>

namespace loadgen::otel {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// traceparent fields are lowercase hex only (§3.2.2: HEXDIGLC).
int lower_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <std::size_t N>
bool parse_lower_hex(std::string_view s, std::array<std::uint8_t, N>& out) {
  if (s.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = lower_hex_value(s[2 * i]);
    const int lo = lower_hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

bool parse_lower_hex_byte(std::string_view s, std::uint8_t& out) {
  std::array<std::uint8_t, 1> b{};
  if (!parse_lower_hex(s, b)) return false;
  out = b[0];
  return true;
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' ||
         c == '/';
}
bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_key_chars(std::string_view s) { return std::all_of(s.begin(), s.end(), is_key_char); }

std::size_t member_len(const TraceStateMember& m) { return m.key.size() + 1 + m.value.size(); }

}  // namespace

void format_traceparent(const SpanContext& ctx, char out[kTraceparentLen]) {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  to_hex(ctx.trace_id, out + 3);
  out[35] = '-';
  to_hex(ctx.span_id, out + 36);
  out[52] = '-';
  const std::uint8_t flags = ctx.flags & kKnownTraceFlags;
  out[53] = kHex[flags >> 4];
  out[54] = kHex[flags & 0xF];
}

std::string traceparent(const SpanContext& ctx) {
  std::string s(kTraceparentLen, '0');
  format_traceparent(ctx, s.data());
  return s;
}

std::optional<SpanContext> parse_traceparent(std::string_view header) {
  const std::string_view s = trim_ows(header);
  if (s.size() < kTraceparentLen) return std::nullopt;
  std::uint8_t version = 0;
  if (!parse_lower_hex_byte(s.substr(0, 2), version) || version == 0xFF) return std::nullopt;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return std::nullopt;
  if (version == 0) {
    if (s.size() != kTraceparentLen) return std::nullopt;  // no trailing data in version 00
  } else if (s.size() > kTraceparentLen && s[kTraceparentLen] != '-') {
    return std::nullopt;  // a future version may only extend after a '-'
  }
  SpanContext ctx;
  if (!parse_lower_hex(s.substr(3, 32), ctx.trace_id)) return std::nullopt;
  if (!parse_lower_hex(s.substr(36, 16), ctx.span_id)) return std::nullopt;
  if (!parse_lower_hex_byte(s.substr(53, 2), ctx.flags)) return std::nullopt;
  if (!ctx.valid()) return std::nullopt;
  ctx.remote = true;
  return ctx;
}

std::optional<SpanContext> extract_trace_context(std::string_view traceparent_header,
                                                 std::string_view tracestate_header) {
  auto ctx = parse_traceparent(traceparent_header);
  if (!ctx) return std::nullopt;
  if (auto ts = TraceState::parse(tracestate_header)) ctx->trace_state = ts->header();
  return ctx;
}

bool is_valid_tracestate_key(std::string_view key) {
  const std::size_t at = key.find('@');
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && is_lcalpha(key[0]) && all_key_chars(key);
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 &&
         (is_lcalpha(tenant[0]) || is_digit(tenant[0])) && all_key_chars(tenant) &&
         !system.empty() && system.size() <= 14 && is_lcalpha(system[0]) && all_key_chars(system);
}

bool is_valid_tracestate_value(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7E && c != ',' && c != '='; });
}

std::optional<TraceState> TraceState::parse(std::string_view header) {
  TraceState ts;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view member = trim_ows(header.substr(pos, comma - pos));
    pos = comma + 1;
    if (member.empty()) continue;  // empty list-members are allowed (§3.3.1.1)
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = member.substr(0, eq);
    const std::string_view value = member.substr(eq + 1);
    if (!is_valid_tracestate_key(key) || !is_valid_tracestate_value(value)) return std::nullopt;
    if (ts.get(key)) return std::nullopt;  // duplicate keys: the header is invalid
    if (ts.members_.size() == kTraceStateMaxMembers) return std::nullopt;
    ts.members_.push_back({std::string(key), std::string(value)});
  }
  return ts;
}

bool TraceState::set(std::string_view key, std::string_view value) {
  if (!is_valid_tracestate_key(key) || !is_valid_tracestate_value(value)) return false;
  erase(key);
  members_.insert(members_.begin(), {std::string(key), std::string(value)});
  if (members_.size() > kTraceStateMaxMembers) members_.pop_back();
  return true;
}

bool TraceState::erase(std::string_view key) {
  const auto it = std::find_if(members_.begin(), members_.end(),
                               [&](const TraceStateMember& m) { return m.key == key; });
  if (it == members_.end()) return false;
  members_.erase(it);
  return true;
}

std::optional<std::string_view> TraceState::get(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.key == key) return std::string_view(m.value);
  }
  return std::nullopt;
}

std::string TraceState::header(std::size_t max_len) const {
  std::vector<bool> keep(members_.size(), true);
  std::size_t total = 0;
  std::size_t kept = 0;
  for (const auto& m : members_) total += member_len(m);
  kept = members_.size();
  auto length = [&] { return kept == 0 ? 0 : total + (kept - 1); };
  // First drop members longer than 128 chars, right-most first; then any, right-most first.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = members_.size(); i-- > 0 && length() > max_len;) {
      if (!keep[i] || (pass == 0 && member_len(members_[i]) <= kTraceStateLargeMember)) continue;
      keep[i] = false;
      total -= member_len(members_[i]);
      --kept;
    }
  }
  std::string out;
  out.reserve(length());
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!keep[i]) continue;
    if (!out.empty()) out += ',';
    out += members_[i].key;
    out += '=';
    out += members_[i].value;
  }
  return out;
}

void format_b3_single(const SpanContext& ctx, char out[kB3SingleLen]) {
  to_hex(ctx.trace_id, out);
  out[32] = '-';
  to_hex(ctx.span_id, out + 33);
  out[49] = '-';
  out[50] = ctx.sampled() ? '1' : '0';
}

B3MultiValues format_b3_multi(const SpanContext& ctx) {
  B3MultiValues v{};
  to_hex(ctx.trace_id, v.trace_id);
  to_hex(ctx.span_id, v.span_id);
  v.sampled = ctx.sampled() ? '1' : '0';
  return v;
}

}  // namespace loadgen::otel
