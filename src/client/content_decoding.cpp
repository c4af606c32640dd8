#include "client/content_decoding.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "core/strings.hpp"

namespace loadgen::client {

namespace {

using core::iequals;

}  // namespace

struct BodyInflater::State {
  z_stream zs{};
  bool ready = false;
  int window_bits = 0;
  ~State() {
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

BodyInflater::BodyInflater() : s_(std::make_unique<State>()) {}
BodyInflater::~BodyInflater() = default;

Coding parse_content_encoding(std::string_view v) {
  v = core::trim_ows(v);
  if (v.empty() || iequals(v, "identity")) return Coding::kIdentity;
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return Coding::kGzip;
  if (iequals(v, "deflate")) return Coding::kDeflate;
  return Coding::kUnsupported;
}

bool BodyInflater::start(Coding coding) {
  coding_ = coding;
  tried_raw_ = false;
  ended_ = false;
  total_out_ = 0;
  switch (coding) {
    case Coding::kGzip:
      return s_->reset(16 + MAX_WBITS);
    case Coding::kDeflate:
      // RFC 9110 §8.4.1.2 says zlib format (RFC 1950); some servers send raw deflate (RFC 1951).
      return s_->reset(MAX_WBITS);
    case Coding::kIdentity:
    case Coding::kUnsupported:
      break;
  }
  coding_ = Coding::kUnsupported;
  return false;
}

BodyInflater::Status BodyInflater::run(std::string_view& in, std::string& out,
                                       std::size_t max_out) {
  if (coding_ == Coding::kUnsupported || !s_->ready) return Status::kError;
  if (ended_) {
    in = {};
    return Status::kEnd;
  }
  z_stream& zs = s_->zs;
  const std::size_t old = out.size();
  std::size_t produced = 0;
  for (;;) {
    if (produced >= max_out) return Status::kOutputFull;
    // zlib counts in uInt: bound each call.
    const std::size_t room = std::min<std::size_t>(max_out - produced, 1u << 30);
    const std::size_t take = std::min<std::size_t>(in.size(), 1u << 30);
    out.resize(old + produced + room);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(take);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old + produced);
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t used = take - zs.avail_in;
    const std::size_t made = room - zs.avail_out;
    out.resize(old + produced + made);
    produced += made;
    total_out_ += made;
    if (rc == Z_DATA_ERROR && coding_ == Coding::kDeflate && !tried_raw_ && total_out_ == 0 &&
        zs.total_in <= used) {
      // Not zlib-wrapped: start over as raw deflate with the same bytes.
      tried_raw_ = true;
      if (!s_->reset(-MAX_WBITS)) return Status::kError;
      continue;
    }
    in.remove_prefix(used);
    if (rc == Z_STREAM_END) {
      ended_ = true;
      in = {};
      return Status::kEnd;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either no input left or no output room.
      if (in.empty()) return Status::kNeedInput;
      if (produced >= max_out) return Status::kOutputFull;
      return Status::kError;
    }
    if (rc != Z_OK) return Status::kError;
    if (in.empty() && zs.avail_out != 0) return Status::kNeedInput;
  }
}

bool inflate_body(Coding coding, std::string_view in, std::string& out, std::size_t max_out) {
  out.clear();
  if (coding == Coding::kIdentity) {
    if (in.size() > max_out) return false;
    out.assign(in);
    return true;
  }
  thread_local BodyInflater inf;
  if (!inf.start(coding)) return false;
  for (;;) {
    const std::size_t room = max_out - out.size();
    // One byte beyond the limit tells "exactly max_out" from "more".
    const auto st = inf.run(in, out, room + 1);
    if (out.size() > max_out) {
      out.resize(max_out);
      return false;
    }
    switch (st) {
      case BodyInflater::Status::kEnd:
        return true;
      case BodyInflater::Status::kNeedInput:
      case BodyInflater::Status::kError:
        return false;  // truncated or corrupt
      case BodyInflater::Status::kOutputFull:
        break;
    }
  }
}

}  // namespace loadgen::client
