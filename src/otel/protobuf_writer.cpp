// Protobuf wire-format writer and UTF-8 helpers (see protobuf_writer.hpp).
#include "otel/protobuf_writer.hpp"

#include "core/utf8.hpp"

namespace loadgen::otel {

void ProtobufWriter::string_field(std::uint32_t field, std::string_view v) {
  if (core::is_valid_utf8(v)) {
    bytes_field(field, v);
    return;
  }
  const Mark m = begin_message(field, varint_size(v.size()));
  core::append_utf8_sanitized(out_, v);
  end_message(m);
}

void ProtobufWriter::end_message(Mark m) {
  const std::size_t body_start = m.prefix_pos + m.reserved;
  const std::size_t len = out_.size() - body_start;
  const std::size_t need = varint_size(len);
  if (need > m.reserved) {
    out_.insert(body_start, need - m.reserved, '\0');
  } else if (need < m.reserved) {
    out_.erase(m.prefix_pos, m.reserved - need);
  }
  std::uint64_t v = len;
  char* p = out_.data() + m.prefix_pos;
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p = static_cast<char>(v);
}

}  // namespace loadgen::otel
