// gzip compression of OTLP request bodies (RFC 1952 framing via zlib), for
// `Content-Encoding: gzip` (RFC 9110 §8.4.1.3). Exporter thread only.
#pragma once

#include <string>
#include <string_view>

namespace loadgen::telemetry {

// Replaces `out` with the gzip member of `in`. Returns false when zlib fails (out of memory).
bool gzip_compress(std::string_view in, std::string& out, int level = 6);

}  // namespace loadgen::telemetry
