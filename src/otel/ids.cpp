// Trace and span id generation and hex coding.
#include "otel/ids.hpp"

#include <cstdint>

namespace loadgen::otel {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void put_u64(std::uint64_t v, std::uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(v & 0xFF);
    v >>= 8;
  }
}

template <std::size_t N>
void encode(const std::array<std::uint8_t, N>& id, char* out) {
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kHex[id[i] >> 4];
    out[2 * i + 1] = kHex[id[i] & 0xF];
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> decode(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  std::array<std::uint8_t, N> id{};
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return id;
}

template <std::size_t N>
bool nonzero(const std::array<std::uint8_t, N>& id) {
  for (auto b : id) {
    if (b != 0) return true;
  }
  return false;
}

}  // namespace

TraceId random_trace_id(core::Rng& rng) {
  TraceId id{};
  do {
    put_u64(rng.next(), id.data());
    put_u64(rng.next(), id.data() + 8);
  } while (!nonzero(id));
  return id;
}

SpanId random_span_id(core::Rng& rng) {
  SpanId id{};
  do {
    put_u64(rng.next(), id.data());
  } while (!nonzero(id));
  return id;
}

bool is_valid(const TraceId& id) { return nonzero(id); }
bool is_valid(const SpanId& id) { return nonzero(id); }

void to_hex(const TraceId& id, char out[kTraceIdHexLen]) { encode(id, out); }
void to_hex(const SpanId& id, char out[kSpanIdHexLen]) { encode(id, out); }

std::string to_hex(const TraceId& id) {
  std::string s(kTraceIdHexLen, '0');
  encode(id, s.data());
  return s;
}

std::string to_hex(const SpanId& id) {
  std::string s(kSpanIdHexLen, '0');
  encode(id, s.data());
  return s;
}

std::optional<TraceId> trace_id_from_hex(std::string_view hex) { return decode<16>(hex); }
std::optional<SpanId> span_id_from_hex(std::string_view hex) { return decode<8>(hex); }

std::uint64_t trace_id_random_bits(const TraceId& id) {
  std::uint64_t r = 0;
  for (std::size_t i = 9; i < 16; ++i) r = (r << 8) | id[i];
  return r;
}

}  // namespace loadgen::otel
