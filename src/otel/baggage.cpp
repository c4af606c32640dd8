// W3C Baggage encoding/decoding and percent/UTF-8 helpers.
#include "otel/baggage.hpp"

#include <algorithm>

#include "core/utf8.hpp"

namespace loadgen::otel {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t encoded_size(std::string_view s) {
  std::size_t n = s.size();
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (!is_baggage_octet(b) || b == '%') n += 2;
  }
  return n;
}

bool valid_properties(std::string_view p) {
  return std::all_of(p.begin(), p.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return (b >= 0x20 && b <= 0x7E && c != ',') || c == '\t';
  });
}

}  // namespace

bool is_baggage_octet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

bool is_http_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

void percent_encode_baggage(std::string_view s, std::string& out) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (is_baggage_octet(b) && b != '%') {
      out += c;
    } else {
      out += '%';
      out += kUpperHex[b >> 4];
      out += kUpperHex[b & 0xF];
    }
  }
}

bool percent_decode(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool Baggage::set(std::string_view name, std::string_view value, std::string_view properties) {
  properties = trim_ows(properties);
  if (!is_http_token(name) || !valid_properties(properties)) return false;
  for (auto& e : entries_) {
    if (e.name == name) {
      e.value.assign(value);
      e.properties.assign(properties);
      return true;
    }
  }
  entries_.push_back({std::string(name), std::string(value), std::string(properties)});
  return true;
}

bool Baggage::erase(std::string_view name) {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const BaggageEntry& e) { return e.name == name; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

std::optional<std::string_view> Baggage::get(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return std::string_view(e.value);
  }
  return std::nullopt;
}

std::string Baggage::header() const {
  std::string out;
  append_header(out);
  return out;
}

void Baggage::append_header(std::string& out) const {
  std::size_t bytes = 0;
  std::size_t members = 0;
  for (const auto& e : entries_) {
    if (members == kBaggageMaxMembers) break;
    const std::size_t len = (members == 0 ? 0 : 1) + e.name.size() + 1 + encoded_size(e.value) +
                            (e.properties.empty() ? 0 : 1 + e.properties.size());
    if (bytes + len > kBaggageMaxBytes) continue;  // drop the whole member, never part of it
    if (members != 0) out += ',';
    out += e.name;
    out += '=';
    percent_encode_baggage(e.value, out);
    if (!e.properties.empty()) {
      out += ';';
      out += e.properties;
    }
    bytes += len;
    ++members;
  }
}

Baggage Baggage::parse(std::string_view header) {
  Baggage bag;
  std::string decoded;
  std::string value;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view member = header.substr(pos, comma - pos);
    pos = comma + 1;
    std::string_view properties;
    if (const std::size_t semi = member.find(';'); semi != std::string_view::npos) {
      properties = trim_ows(member.substr(semi + 1));
      member = member.substr(0, semi);
    }
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim_ows(member.substr(0, eq));
    const std::string_view raw = trim_ows(member.substr(eq + 1));
    if (!is_http_token(key) || !valid_properties(properties)) continue;
    if (!std::all_of(raw.begin(), raw.end(),
                     [](char c) { return is_baggage_octet(static_cast<unsigned char>(c)); })) {
      continue;
    }
    decoded.clear();
    if (!percent_decode(raw, decoded)) continue;
    value.clear();
    core::append_utf8_sanitized(value, decoded);
    bag.set(key, value, properties);
  }
  return bag;
}

}  // namespace loadgen::otel
