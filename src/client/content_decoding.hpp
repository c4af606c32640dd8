// Content-Encoding decoding (RFC 9110 §8.4.1): gzip and deflate via zlib, with a per-thread
// reusable inflate state. Private to the client module.
#pragma once

#include <string>
#include <string_view>

namespace loadgen::client {

enum class Coding { kIdentity, kGzip, kDeflate, kUnsupported };

Coding parse_content_encoding(std::string_view header_value);

// Decodes `in` into `out` (replacing its contents). Returns false on corrupt data, or when the
// decoded size would exceed max_out (a decompression bomb guard).
bool inflate_body(Coding coding, std::string_view in, std::string& out,
                  std::size_t max_out = 256u << 20);

}  // namespace loadgen::client
