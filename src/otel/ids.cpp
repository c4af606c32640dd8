// Trace and span id generation and hex coding.
#include "otel/ids.hpp"

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
void encode_scalar(const std::array<std::uint8_t, N>& id, char* out) {
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kHex[id[i] >> 4];
    out[2 * i + 1] = kHex[id[i] & 0xF];
  }
}

#if defined(__SSE2__)
// Sixteen nibbles (one per byte, 0-15) as their lowercase hex digits.
__m128i hex_digits(__m128i nibbles) {
  const __m128i digits = _mm_add_epi8(nibbles, _mm_set1_epi8('0'));
  const __m128i letters = _mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9));
  return _mm_add_epi8(digits, _mm_and_si128(letters, _mm_set1_epi8('a' - '0' - 10)));
}
#endif

// Every request formats a trace id and a span id (traceparent): without a table walk per
// nibble where SSE2 is there (x86-64 always).
template <std::size_t N>
void encode(const std::array<std::uint8_t, N>& id, char* out) {
#if defined(__SSE2__)
  if constexpr (N == 16 || N == 8) {
    __m128i bytes;
    if constexpr (N == 16) {
      bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(id.data()));
    } else {
      bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(id.data()));
    }
    const __m128i low4 = _mm_set1_epi8(0x0F);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), low4);
    const __m128i lo = _mm_and_si128(bytes, low4);
    // Interleaved high, low: the digits in the order they are written.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), hex_digits(_mm_unpacklo_epi8(hi, lo)));
    if constexpr (N == 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), hex_digits(_mm_unpackhi_epi8(hi, lo)));
    }
    return;
  }
#endif
  encode_scalar(id, out);
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
