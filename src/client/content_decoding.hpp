// Content-Encoding decoding (RFC 9110 §8.4.1): gzip and deflate via zlib, incremental, so a
// body is decoded as it arrives, a bounded slice of output at a time (the caller yields to its
// event loop between slices). Private to the client module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace loadgen::client {

enum class Coding { kIdentity, kGzip, kDeflate, kUnsupported };

Coding parse_content_encoding(std::string_view header_value);

// One body's incremental decoder. Reusable: start() resets it (the zlib state is kept).
class BodyInflater {
 public:
  enum class Status {
    kNeedInput,   // all of `in` consumed, the stream has not ended
    kOutputFull,  // `max_out` bytes were produced; call again (input may remain)
    kEnd,         // the compressed stream ended (trailing bytes are ignored)
    kError,       // corrupt data or unsupported coding
  };

  BodyInflater();
  ~BodyInflater();
  BodyInflater(const BodyInflater&) = delete;
  BodyInflater& operator=(const BodyInflater&) = delete;

  // kGzip or kDeflate; false (and every run() fails) for anything else.
  bool start(Coding coding);
  // Decodes from the front of `in` (consumed bytes are removed from it), appending at most
  // max_out bytes to `out`.
  Status run(std::string_view& in, std::string& out, std::size_t max_out);
  std::uint64_t total_out() const { return total_out_; }

 private:
  struct State;
  std::unique_ptr<State> s_;
  Coding coding_ = Coding::kUnsupported;
  bool tried_raw_ = false;  // deflate: zlib format failed at its first bytes, retried as raw
  bool ended_ = false;
  std::uint64_t total_out_ = 0;
};

// Decodes `in` whole into `out` (replacing its contents). Returns false on corrupt or
// truncated data, or when the decoded size would exceed max_out (a decompression bomb guard).
bool inflate_body(Coding coding, std::string_view in, std::string& out,
                  std::size_t max_out = 256u << 20);

}  // namespace loadgen::client
