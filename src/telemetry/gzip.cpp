#include "telemetry/gzip.hpp"

#include <zlib.h>

#include <cstddef>

namespace loadgen::telemetry {

bool gzip_compress(std::string_view in, std::string& out, int level) {
  out.clear();
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's (zlib manual, deflateInit2).
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  const uLong bound = deflateBound(&zs, static_cast<uLong>(in.size()));
  out.resize(static_cast<std::size_t>(bound));
  // zlib's API is not const-correct; it never writes through next_in.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::size_t written = static_cast<std::size_t>(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    out.clear();
    return false;
  }
  out.resize(written);
  return true;
}

}  // namespace loadgen::telemetry
