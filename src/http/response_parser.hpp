// Incremental HTTP/1.1 response parsing (RFC 9112) over caller-owned byte buffers: a head parser
// that fills reused storage with views into the buffer, and a body decoder (Content-Length,
// chunked, until-close). Runs on the worker's request path: no allocation in steady state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/field_line.hpp"

namespace loadgen::http {

enum class ParseError {
  kNone,
  kBadStatusLine,
  kBadVersion,
  kBadHeader,
  kHeadTooLarge,
  kBadContentLength,
  kBadTransferEncoding,
  kBadChunk,
  kIncomplete,  // EOF before the message ended
};

// Short human text: "malformed status line", ...
std::string_view to_string(ParseError e);

enum class BodyMode { kNone, kLength, kChunked, kUntilClose };

struct ResponseHead {
  int status = 0;
  int version_minor = 1;  // HTTP/1.x
  std::string_view reason;
  std::vector<HeaderField> fields;  // cleared and refilled by the parser (capacity reused)
  BodyMode body_mode = BodyMode::kNone;
  std::uint64_t content_length = 0;  // when body_mode == kLength
  // false for "Connection: close", HTTP/1.0 without keep-alive, kUntilClose, or framing that
  // RFC 9112 §6.1/§6.3 says to distrust (Transfer-Encoding with Content-Length, or in HTTP/1.0).
  bool keep_alive = true;
  // What an HTTP client acts on, picked out in the parser's one pass over the fields (the last
  // one wins, as for a repeated field that is not a list): Content-Encoding's value and
  // whether there is one, Location's value (empty if absent), and how many Set-Cookie fields.
  bool has_content_encoding = false;
  std::string_view content_encoding;
  std::string_view location;
  std::size_t set_cookie_count = 0;

  // First value of the field `name` (case-insensitive); empty if absent.
  std::string_view find(std::string_view name) const;
};

struct HeadResult {
  enum class Kind { kNeedMore, kDone, kError } kind;
  std::size_t consumed = 0;  // bytes of the head including the empty line, when kDone
  ParseError error = ParseError::kNone;
};

// Parses a complete response head (status line + fields + empty line) from the start of
// [data, data+len). The views in `out` point into `data`.
// kNeedMore if the terminating empty line has not arrived yet (and len < max_head);
// kHeadTooLarge once len >= max_head without a complete head in the first max_head bytes.
// Errors in lines that are already complete are reported without waiting for the rest.
// `request_was_head` → body_mode kNone. Status 1xx/204/304 → kNone. Otherwise framing per
// RFC 9112 §6.3: Transfer-Encoding with chunked as final coding → kChunked; TE present without
// chunked final → kUntilClose; differing multiple Content-Length or non-digit CL →
// kBadContentLength; CL → kLength (CL 0 → kLength with 0); else kUntilClose.
// Accepts bare LF line ends (RFC 9112 §2.2); rejects obs-fold, NUL, whitespace before colon.
HeadResult parse_response_head(const char* data, std::size_t len, bool request_was_head,
                               ResponseHead& out, std::size_t max_head = 64 * 1024);

// Incremental body decoder for one response (RFC 9112 §6, §7.1). Reusable: start() resets it.
class BodyDecoder {
 public:
  void start(BodyMode mode, std::uint64_t content_length);
  // Consumes bytes of [data, data+len) belonging to the body; appends decoded payload to *out
  // when out != nullptr. Returns the number of bytes consumed: bytes beyond the end of this
  // message (a pipelined next response) are left unconsumed. On a malformed byte, the bytes
  // before it count as consumed. Consumes nothing once done or failed.
  std::size_t feed(const char* data, std::size_t len, std::string* out);
  // The peer closed the connection: completes kUntilClose; otherwise, if not done, error becomes
  // kIncomplete.
  void finish_on_eof();
  // The body ended successfully (false while in progress or after an error).
  bool done() const { return state_ == State::kDone; }
  // kNone unless malformed (kBadChunk: bad hex size, size overflow > 2^62, missing CRLF after
  // chunk data, chunk-size line over 4 KiB, trailer section over 64 KiB) or incomplete.
  ParseError error() const { return error_; }
  std::uint64_t decoded_bytes() const { return decoded_; }

 private:
  enum class State {
    kDone,
    kFailed,
    kLength,        // remaining_ payload bytes left
    kUntilClose,    // everything until EOF
    kChunkSize,     // hex digits of a chunk-size line
    kChunkExt,      // after the digits: BWS and chunk extensions, up to LF
    kChunkData,     // remaining_ bytes of chunk data
    kChunkDataCr,   // expecting CR (or bare LF) after chunk data
    kChunkDataLf,   // expecting LF after chunk data's CR
    kTrailerStart,  // at the start of a trailer line (empty line ends the message)
    kTrailerLine,   // inside a trailer field line, up to LF
    kTrailerEndLf,  // saw CR of the final empty line, expecting LF
  };

  std::size_t feed_chunked(const char* data, std::size_t len, std::string* out);
  void fail(ParseError e) {
    state_ = State::kFailed;
    error_ = e;
  }

  State state_ = State::kDone;
  ParseError error_ = ParseError::kNone;
  std::uint64_t remaining_ = 0;
  std::uint64_t decoded_ = 0;
  std::size_t line_bytes_ = 0;     // bytes of the current chunk-size line
  std::size_t trailer_bytes_ = 0;  // bytes of the trailer section so far
  bool size_digits_ = false;       // at least one hex digit seen on the chunk-size line
  bool saw_cr_ = false;            // CR seen on the current line; LF must follow
};

}  // namespace loadgen::http
