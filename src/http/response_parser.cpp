// HTTP/1.1 response head parsing (RFC 9112 §4 status line, §5 field lines, §6.3 message body
// length) and body decoding (RFC 9112 §6, §7.1 chunked coding). Single pass over the caller's
// bytes; results are views into them.
#include "http/response_parser.hpp"

#include <algorithm>
#include <cstring>

#include "http/char_class.hpp"
#include "http/field_line.hpp"
#include "http/framing.hpp"

namespace loadgen::http {

namespace {

constexpr std::uint64_t kMaxChunkSize = std::uint64_t{1} << 62;
constexpr std::size_t kMaxChunkLine = 4 * 1024;
constexpr std::size_t kMaxTrailer = 64 * 1024;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

using detail::Framing;

HeadResult head_error(ParseError e) { return {HeadResult::Kind::kError, 0, e}; }

// RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
// HTTP-version = "HTTP/" DIGIT "." DIGIT. A missing SP after the code is tolerated.
ParseError parse_status_line(std::string_view line, ResponseHead& out) {
  if (line.size() < 8 || line[6] != '.' || !is_digit(line[5]) || !is_digit(line[7])) {
    return ParseError::kBadVersion;
  }
  if (line[5] != '1') return ParseError::kBadVersion;
  out.version_minor = line[7] - '0';
  if (line.size() < 12 || line[8] != ' ' || !is_digit(line[9]) || !is_digit(line[10]) ||
      !is_digit(line[11]) || line[9] == '0') {
    return ParseError::kBadStatusLine;
  }
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (line.size() > 12) {
    if (line[12] != ' ') return ParseError::kBadStatusLine;
    // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    const std::string_view reason = line.substr(13);
    for (char c : reason) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return ParseError::kBadStatusLine;
    }
    out.reason = reason;
  }
  return ParseError::kNone;
}

}  // namespace

std::string_view to_string(ParseError e) {
  switch (e) {
    case ParseError::kNone:
      return "no error";
    case ParseError::kBadStatusLine:
      return "malformed status line";
    case ParseError::kBadVersion:
      return "unsupported HTTP version";
    case ParseError::kBadHeader:
      return "malformed header field";
    case ParseError::kHeadTooLarge:
      return "response head too large";
    case ParseError::kBadContentLength:
      return "invalid Content-Length";
    case ParseError::kBadTransferEncoding:
      return "invalid Transfer-Encoding";
    case ParseError::kBadChunk:
      return "malformed chunked body";
    case ParseError::kIncomplete:
      return "connection closed before the response ended";
  }
  return "unknown parse error";
}

std::string_view ResponseHead::find(std::string_view name) const {
  for (const HeaderField& f : fields) {
    if (detail::iequals(f.name, name)) return f.value;
  }
  return {};
}

HeadResult parse_response_head(const char* data, std::size_t len, bool request_was_head,
                               ResponseHead& out, std::size_t max_head) {
  out.status = 0;
  out.version_minor = 1;
  out.reason = {};
  out.fields.clear();
  out.body_mode = BodyMode::kNone;
  out.content_length = 0;
  out.keep_alive = true;
  out.has_content_encoding = false;
  out.content_encoding = {};
  out.location = {};
  out.set_cookie_count = 0;

  const std::size_t limit = std::min(len, max_head);
  const auto need_more = [len, max_head] {
    return len >= max_head ? head_error(ParseError::kHeadTooLarge)
                           : HeadResult{HeadResult::Kind::kNeedMore, 0, ParseError::kNone};
  };

  if (limit == 0) return need_more();

  // Reject non-HTTP bytes early rather than waiting for a line end that may never come.
  constexpr std::string_view kPrefix = "HTTP/";
  if (limit >= kPrefix.size() ? std::memcmp(data, kPrefix.data(), kPrefix.size()) != 0
                              : std::memcmp(data, kPrefix.data(), limit) != 0) {
    return head_error(ParseError::kBadStatusLine);
  }

  const char* const end = data + limit;
  const char* lf = static_cast<const char*>(std::memchr(data, '\n', limit));
  if (lf == nullptr) return need_more();
  {
    std::string_view line(data, static_cast<std::size_t>(lf - data));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const ParseError e = parse_status_line(line, out);
    if (e != ParseError::kNone) return head_error(e);
  }

  // RFC 9112 §5: the field section, then the framing it implies.
  const char* p = lf + 1;
  const FieldSectionResult section =
      parse_field_section(std::string_view(p, static_cast<std::size_t>(end - p)), out.fields);
  switch (section.kind) {
    case FieldSectionResult::Kind::kNeedMore:
      return need_more();
    case FieldSectionResult::Kind::kBad:
      return head_error(ParseError::kBadHeader);
    case FieldSectionResult::Kind::kDone:
      break;
  }
  p += section.consumed;
  Framing framing;
  // The framing fields, then (by length first, as those) the ones an HTTP client acts on.
  const auto client_field = [&out](std::string_view name, std::string_view value) {
    switch (name.size()) {
      case 8:
        if (detail::equals_lower(name, "location")) out.location = value;
        break;
      case 10:
        if (detail::equals_lower(name, "set-cookie")) ++out.set_cookie_count;
        break;
      case 16:
        if (detail::equals_lower(name, "content-encoding")) {
          out.has_content_encoding = true;
          out.content_encoding = value;
        }
        break;
      default:
        break;
    }
  };
  for (const HeaderField& f : out.fields) framing.field(f.name, f.value, client_field);
  const HeadResult done{HeadResult::Kind::kDone, static_cast<std::size_t>(p - data),
                        ParseError::kNone};

  // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  out.keep_alive = !framing.conn_close && (out.version_minor >= 1 || framing.conn_keep_alive);

  // RFC 9112 §6.3 rules 1-7, in order.
  if (request_was_head || out.status < 200 || out.status == 204 || out.status == 304) {
    out.body_mode = BodyMode::kNone;
    return done;
  }
  if (framing.has_te) {
    if (framing.te_bad || framing.te_chunked_count > 1) {
      return head_error(ParseError::kBadTransferEncoding);
    }
    if (framing.te_final_chunked) {
      out.body_mode = BodyMode::kChunked;
    } else {
      out.body_mode = BodyMode::kUntilClose;
      out.keep_alive = false;
    }
    // §6.1/§6.3: TE with CL, or TE in HTTP/1.0, means faulty framing: close after this one.
    if (framing.has_cl || out.version_minor == 0) out.keep_alive = false;
    return done;
  }
  if (framing.has_cl) {
    if (framing.cl_bad) return head_error(ParseError::kBadContentLength);
    out.body_mode = BodyMode::kLength;
    out.content_length = framing.cl;
    return done;
  }
  out.body_mode = BodyMode::kUntilClose;
  out.keep_alive = false;
  return done;
}

void BodyDecoder::start(BodyMode mode, std::uint64_t content_length) {
  error_ = ParseError::kNone;
  remaining_ = 0;
  decoded_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
  size_digits_ = false;
  saw_cr_ = false;
  switch (mode) {
    case BodyMode::kNone:
      state_ = State::kDone;
      break;
    case BodyMode::kLength:
      remaining_ = content_length;
      state_ = content_length == 0 ? State::kDone : State::kLength;
      break;
    case BodyMode::kChunked:
      state_ = State::kChunkSize;
      break;
    case BodyMode::kUntilClose:
      state_ = State::kUntilClose;
      break;
  }
}

std::size_t BodyDecoder::feed(const char* data, std::size_t len, std::string* out) {
  switch (state_) {
    case State::kDone:
    case State::kFailed:
      return 0;
    case State::kLength: {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, len));
      if (out != nullptr) out->append(data, n);
      decoded_ += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::kDone;
      return n;
    }
    case State::kUntilClose:
      if (out != nullptr) out->append(data, len);
      decoded_ += len;
      return len;
    default:
      return feed_chunked(data, len, out);
  }
}

// RFC 9112 §7.1: chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*("0") [ chunk-ext ] CRLF
// Extensions are skipped; trailer fields are skipped (RFC 9112 §7.1.2), bounded in size.
std::size_t BodyDecoder::feed_chunked(const char* data, std::size_t len, std::string* out) {
  std::size_t i = 0;
  while (i < len) {
    const char c = data[i];
    switch (state_) {
      case State::kChunkSize: {
        const int h = hex_value(c);
        if (h >= 0) {
          if (remaining_ > (kMaxChunkSize - static_cast<std::uint64_t>(h)) / 16) {
            fail(ParseError::kBadChunk);
            return i;
          }
          if (++line_bytes_ > kMaxChunkLine) {
            fail(ParseError::kBadChunk);
            return i;
          }
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(h);
          size_digits_ = true;
          ++i;
          break;
        }
        if (!size_digits_ || !(c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
          fail(ParseError::kBadChunk);
          return i;
        }
        state_ = State::kChunkExt;  // c is handled there
        break;
      }
      case State::kChunkExt: {
        ++i;
        if (++line_bytes_ > kMaxChunkLine || c == '\0' || (saw_cr_ && c != '\n')) {
          fail(ParseError::kBadChunk);
          return i - 1;
        }
        if (c == '\r') {
          saw_cr_ = true;
          break;
        }
        if (c != '\n') break;
        saw_cr_ = false;
        line_bytes_ = 0;
        size_digits_ = false;
        state_ = remaining_ == 0 ? State::kTrailerStart : State::kChunkData;
        break;
      }
      case State::kChunkData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, len - i));
        if (out != nullptr) out->append(data + i, n);
        decoded_ += n;
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) state_ = State::kChunkDataCr;
        break;
      }
      case State::kChunkDataCr:
        if (c == '\r') {
          state_ = State::kChunkDataLf;
        } else if (c == '\n') {
          state_ = State::kChunkSize;
        } else {
          fail(ParseError::kBadChunk);
          return i;
        }
        ++i;
        break;
      case State::kChunkDataLf:
        if (c != '\n') {
          fail(ParseError::kBadChunk);
          return i;
        }
        ++i;
        state_ = State::kChunkSize;
        break;
      case State::kTrailerStart:
        if (c == '\n') {
          state_ = State::kDone;
          return i + 1;
        }
        if (c == '\r') {
          ++i;
          state_ = State::kTrailerEndLf;
        } else {
          state_ = State::kTrailerLine;  // c is handled there
        }
        break;
      case State::kTrailerLine: {
        const auto* lf = static_cast<const char*>(std::memchr(data + i, '\n', len - i));
        const std::size_t n = lf == nullptr ? len - i : static_cast<std::size_t>(lf - data) + 1 - i;
        if (trailer_bytes_ + n > kMaxTrailer) {
          fail(ParseError::kBadChunk);
          return i + (kMaxTrailer - trailer_bytes_);  // up to the first byte over the limit
        }
        trailer_bytes_ += n;
        i += n;
        if (lf != nullptr) state_ = State::kTrailerStart;
        break;
      }
      case State::kTrailerEndLf:
        if (c != '\n') {
          fail(ParseError::kBadChunk);
          return i;
        }
        state_ = State::kDone;
        return i + 1;
      case State::kDone:
      case State::kFailed:
      case State::kLength:
      case State::kUntilClose:
        return i;
    }
  }
  return i;
}

void BodyDecoder::finish_on_eof() {
  if (state_ == State::kUntilClose) {
    state_ = State::kDone;
  } else if (state_ != State::kDone && state_ != State::kFailed) {
    fail(ParseError::kIncomplete);
  }
}

}  // namespace loadgen::http
