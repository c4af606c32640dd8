// A minimal protobuf wire-format writer (https://protobuf.dev/programming-guides/encoding/) for
// the OTLP encoders, appending into one caller-owned, reusable std::string; plus UTF-8 checks.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace loadgen::otel {

// Wire types (encoding guide, "Message Structure").
enum class WireType : std::uint8_t {
  kVarint = 0,
  kI64 = 1,
  kLen = 2,
  kSGroup = 3,
  kEGroup = 4,
  kI32 = 5
};

// Number of bytes the base-128 varint encoding of v takes (1..10).
constexpr std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

constexpr std::uint64_t zigzag64(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
constexpr std::uint32_t zigzag32(std::int32_t v) {
  return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}

// Bytes of a field's tag (1 for fields 1..15, 2 up to 2047).
constexpr std::size_t tag_size(std::uint32_t field) {
  return varint_size(std::uint64_t{field} << 3);
}
// Bytes of a LEN field (string, bytes, nested message) with an n-byte payload: tag, length,
// payload.
constexpr std::size_t len_field_size(std::uint32_t field, std::size_t n) {
  return tag_size(field) + varint_size(n) + n;
}

// Writing through a raw cursor into space already sized (ProtobufWriter::extend): each put_*
// writes at p and returns the position after what it wrote. For encoders that compute a
// message's exact size first and then write it in one go, with no length to back-patch.
inline char* put_varint(char* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* put_tag(char* p, std::uint32_t field, WireType wt) {
  return put_varint(p, (std::uint64_t{field} << 3) | static_cast<std::uint64_t>(wt));
}
inline char* put_bytes(char* p, std::string_view v) {
  if (!v.empty()) std::memcpy(p, v.data(), v.size());  // an empty view's data() may be null
  return p + v.size();
}
inline char* put_fixed64(char* p, std::uint64_t v) {  // little-endian, portable
  for (std::size_t i = 0; i < 8; ++i)
    p[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
  return p + 8;
}
inline char* put_fixed32(char* p, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i)
    p[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
  return p + 4;
}
// A LEN field whose payload is v as it is (bytes, or a string known to be well-formed UTF-8).
inline char* put_len_field(char* p, std::uint32_t field, std::string_view v) {
  p = put_tag(p, field, WireType::kLen);
  p = put_varint(p, v.size());
  return put_bytes(p, v);
}

// IEEE 754 bits of a double, as the wire (and proto3's "is it the default?" test) sees them:
// only +0.0 is all zero, so -0.0 counts as set.
constexpr std::uint64_t double_bits(double v) { return std::bit_cast<std::uint64_t>(v); }

// Appends fields to `out` (never clears it). Nested messages are written with a reserved length
// prefix that end_message() back-patches; a prefix of the wrong size costs one memmove of the
// message body, so callers pass a good guess (1 byte < 128 B, 2 bytes < 16 KiB, 3 bytes < 2 MiB).
// Single-threaded; holds a reference to `out` for its lifetime.
class ProtobufWriter {
 public:
  explicit ProtobufWriter(std::string& out) : out_(out) {}

  // Position of a nested message's reserved length prefix (opaque to callers).
  struct Mark {
    std::size_t prefix_pos;
    std::size_t reserved;
  };

  void tag(std::uint32_t field, WireType wt) {
    varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wt));
  }

  void varint(std::uint64_t v) {
    char buf[10];
    std::size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_.append(buf, n);
  }

  // Scalar fields (proto3 types named as in .proto files).
  void uint64_field(std::uint32_t field, std::uint64_t v) {
    tag(field, WireType::kVarint);
    varint(v);
  }
  void uint32_field(std::uint32_t field, std::uint32_t v) { uint64_field(field, v); }
  // int32/int64/enum: two's complement as a 64-bit varint (negatives take 10 bytes).
  void int64_field(std::uint32_t field, std::int64_t v) {
    uint64_field(field, static_cast<std::uint64_t>(v));
  }
  void bool_field(std::uint32_t field, bool v) { uint64_field(field, v ? 1U : 0U); }
  void sint64_field(std::uint32_t field, std::int64_t v) { uint64_field(field, zigzag64(v)); }
  void sint32_field(std::uint32_t field, std::int32_t v) { uint64_field(field, zigzag32(v)); }

  void fixed64_field(std::uint32_t field, std::uint64_t v) {
    tag(field, WireType::kI64);
    fixed64(v);
  }
  void fixed32_field(std::uint32_t field, std::uint32_t v) {
    tag(field, WireType::kI32);
    fixed32(v);
  }
  void double_field(std::uint32_t field, double v) { fixed64_field(field, double_bits(v)); }
  void fixed64(std::uint64_t v) {  // little-endian, portable
    char buf[8];
    for (std::size_t i = 0; i < 8; ++i)
      buf[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
    out_.append(buf, 8);
  }
  void fixed32(std::uint32_t v) {
    char buf[4];
    for (std::size_t i = 0; i < 4; ++i)
      buf[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
    out_.append(buf, 4);
  }

  // Packed repeated scalars (proto3's default for repeated numbers): one LEN field holding the
  // values back to back. An empty list writes nothing, as proto3 omits empty repeated fields.
  void packed_fixed64_field(std::uint32_t field, std::span<const std::uint64_t> values) {
    if (values.empty()) return;
    tag(field, WireType::kLen);
    varint(8 * values.size());
    for (std::uint64_t v : values) fixed64(v);
  }
  void packed_double_field(std::uint32_t field, std::span<const double> values) {
    if (values.empty()) return;
    tag(field, WireType::kLen);
    varint(8 * values.size());
    for (double d : values) fixed64(double_bits(d));
  }
  void packed_uint64_field(std::uint32_t field, std::span<const std::uint64_t> values) {
    if (values.empty()) return;
    std::size_t n = 0;
    for (std::uint64_t v : values) n += varint_size(v);
    tag(field, WireType::kLen);
    varint(n);
    for (std::uint64_t v : values) varint(v);
  }

  // bytes: written as given.
  void bytes_field(std::uint32_t field, std::string_view v) {
    tag(field, WireType::kLen);
    varint(v.size());
    out_.append(v.data(), v.size());
  }
  void bytes_field(std::uint32_t field, const std::uint8_t* data, std::size_t n) {
    bytes_field(field, std::string_view(reinterpret_cast<const char*>(data), n));
  }
  // string: proto3 requires valid UTF-8 (receivers such as libprotobuf reject the message
  // otherwise), so ill-formed sequences are replaced with U+FFFD.
  void string_field(std::uint32_t field, std::string_view v);

  // Nested message: begin_message(), write its fields, end_message(mark).
  Mark begin_message(std::uint32_t field, std::size_t reserve = 1) {
    tag(field, WireType::kLen);
    Mark m{out_.size(), reserve};
    out_.append(reserve, '\0');
    return m;
  }
  void end_message(Mark m);

  // n more bytes at the end of `out` (grown geometrically), for the caller to fill through the
  // returned cursor with the put_* functions, exactly n bytes.
  char* extend(std::size_t n) {
    const std::size_t at = out_.size();
    out_.resize(at + n);
    return out_.data() + at;
  }

  std::string& out() { return out_; }

 private:
  std::string& out_;
};

}  // namespace loadgen::otel
