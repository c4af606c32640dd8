// message_prescan.cpp: decode()'s structural pre-scan of a msgpack frame (depth, container
// sizes against the bytes left), run before msgpack-c allocates anything.
#include <string>
#include <string_view>
#include <vector>

#include "cluster/message_decode_impl.hpp"

namespace loadgen::cluster::decode_detail {

std::string prescan(std::string_view f) {
  const auto* b = reinterpret_cast<const unsigned char*>(f.data());
  const std::size_t n = f.size();
  std::size_t pos = 0;
  std::vector<std::uint64_t> open{1};  // elements still expected, per open container
  auto be = [&](std::size_t at, std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) v = (v << 8) | b[at + i];
    return v;
  };
  while (!open.empty()) {
    if (open.back() == 0) {
      open.pop_back();
      continue;
    }
    --open.back();
    if (pos >= n) return "truncated frame";
    const unsigned char c = b[pos];
    std::size_t head = 1;        // header bytes
    std::uint64_t body = 0;      // payload bytes after the header
    std::uint64_t children = 0;  // elements of a container
    bool container = false;
    if (c <= 0x7f || c >= 0xe0 || (c >= 0xc0 && c <= 0xc3 && c != 0xc1)) {
      // fixint, negative fixint, nil, false, true
    } else if (c >= 0xa0 && c <= 0xbf) {
      body = c & 0x1fu;
    } else if (c >= 0x90 && c <= 0x9f) {
      container = true;
      children = c & 0x0fu;
    } else if (c >= 0x80 && c <= 0x8f) {
      container = true;
      children = 2u * (c & 0x0fu);
    } else {
      std::size_t width = 0;  // of a length field
      switch (c) {
        case 0xcc:
        case 0xd0:
          body = 1;
          break;
        case 0xcd:
        case 0xd1:
          body = 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          body = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          body = 8;
          break;
        case 0xd4:
          body = 2;
          break;  // fixext: type byte + data
        case 0xd5:
          body = 3;
          break;
        case 0xd6:
          body = 5;
          break;
        case 0xd7:
          body = 9;
          break;
        case 0xd8:
          body = 17;
          break;
        case 0xc4:
        case 0xd9:
        case 0xc7:
          width = 1;
          break;
        case 0xc5:
        case 0xda:
        case 0xc8:
          width = 2;
          break;
        case 0xc6:
        case 0xdb:
        case 0xc9:
          width = 4;
          break;
        case 0xdc:
        case 0xde:
          width = 2;
          container = true;
          break;
        case 0xdd:
        case 0xdf:
          width = 4;
          container = true;
          break;
        default:
          return "invalid byte 0xc1";
      }
      if (width != 0) {
        if (n - pos < 1 + width) return "truncated frame";
        head += width;
        const std::uint64_t len = be(pos + 1, width);
        if (container) {
          children = (c == 0xde || c == 0xdf) ? 2 * len : len;
        } else {
          body = len + ((c >= 0xc7 && c <= 0xc9) ? 1 : 0);  // ext: + type byte
        }
      }
    }
    if (n - pos < head) return "truncated frame";
    pos += head;
    if (container) {
      const bool is_map = (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
      if ((is_map ? children / 2 : children) > kMaxContainer)
        return "a container of more than " + std::to_string(kMaxContainer) + " entries";
      if (children > n - pos) return "truncated frame (a container larger than the frame)";
      if (open.size() > kMaxDepth) return "nested deeper than " + std::to_string(kMaxDepth);
      open.push_back(children);
    } else {
      if (body > n - pos) return "truncated frame";
      pos += static_cast<std::size_t>(body);
    }
  }
  if (pos != n) return "trailing bytes after the message";
  return {};
}

}  // namespace loadgen::cluster::decode_detail
