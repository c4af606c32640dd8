#include "client/content_decoding.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "core/strings.hpp"

namespace loadgen::client {

namespace {

using core::iequals;

struct Inflater {
  z_stream zs{};
  bool ready = false;
  int window_bits = 0;
  ~Inflater() {
    if (ready) inflateEnd(&zs);
  }
  bool reset(int bits) {
    if (ready && bits == window_bits) return inflateReset(&zs) == Z_OK;
    if (ready) inflateEnd(&zs);
    zs = z_stream{};
    ready = inflateInit2(&zs, bits) == Z_OK;
    window_bits = bits;
    return ready;
  }
};

bool run(Inflater& inf, std::string_view in, std::string& out, std::size_t max_out) {
  out.clear();
  inf.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  inf.zs.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    const std::size_t old = out.size();
    const std::size_t grow = std::max<std::size_t>(in.size() * 3, 4096);
    if (old >= max_out) return false;
    out.resize(std::min(old + grow, max_out));
    inf.zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    inf.zs.avail_out = static_cast<uInt>(out.size() - old);
    const int rc = inflate(&inf.zs, Z_NO_FLUSH);
    out.resize(out.size() - inf.zs.avail_out);
    if (rc == Z_STREAM_END) return true;
    if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    if (rc == Z_BUF_ERROR && inf.zs.avail_in == 0) return false;  // truncated input
  }
}

}  // namespace

Coding parse_content_encoding(std::string_view v) {
  v = core::trim_ows(v);
  if (v.empty() || iequals(v, "identity")) return Coding::kIdentity;
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return Coding::kGzip;
  if (iequals(v, "deflate")) return Coding::kDeflate;
  return Coding::kUnsupported;
}

bool inflate_body(Coding coding, std::string_view in, std::string& out, std::size_t max_out) {
  thread_local Inflater gzip_inf;
  thread_local Inflater deflate_inf;
  switch (coding) {
    case Coding::kIdentity:
      out.assign(in);
      return true;
    case Coding::kGzip:
      return gzip_inf.reset(16 + MAX_WBITS) && run(gzip_inf, in, out, max_out);
    case Coding::kDeflate: {
      // RFC 9110 says zlib format; some servers send raw deflate. Try zlib, then raw.
      if (deflate_inf.reset(MAX_WBITS) && run(deflate_inf, in, out, max_out)) return true;
      return deflate_inf.reset(-MAX_WBITS) && run(deflate_inf, in, out, max_out);
    }
    case Coding::kUnsupported:
      return false;
  }
  return false;
}

}  // namespace loadgen::client
