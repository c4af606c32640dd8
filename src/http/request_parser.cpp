// HTTP/1.1 request head parsing (RFC 9112 §3 request line, §5 field lines, §6.3 message body
// length for requests). Single pass over the caller's bytes; results are views into them.
#include "http/request_parser.hpp"

#include <algorithm>
#include <cstring>

#include "http/char_class.hpp"
#include "http/field_line.hpp"
#include "http/framing.hpp"

namespace loadgen::http {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The response parser's framing rules plus Host (RFC 9110 §7.2).
struct RequestFraming : detail::Framing {
  int host_count = 0;
  bool host_bad = false;

  // Host = uri-host [ ":" port ]; we only reject what cannot be a host: whitespace, commas
  // (a list), '/', '@' and controls.
  void host(std::string_view value) {
    ++host_count;
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f || c == ',' || c == '/' || c == '@') host_bad = true;
    }
  }

  void field(std::string_view name, std::string_view value) {
    if (name.size() == 4 && detail::equals_lower(name, "host")) {
      host(value);
      return;
    }
    detail::Framing::field(name, value);
  }
};

HeadResult head_error(ParseError e) { return {HeadResult::Kind::kError, 0, e}; }

// RFC 9112 §3.2: the request-target is visible ASCII (no SP, CTL, '#' fragment or obs-text).
bool target_chars_ok(std::string_view t) {
  for (char c : t) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') return false;
  }
  return true;
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":".
bool is_absolute_form(std::string_view t) {
  const std::size_t colon = t.find(':');
  if (colon == 0 || colon == std::string_view::npos || !is_alpha(t[0])) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = t[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// RFC 9112 §3: request-line = method SP request-target SP HTTP-version
ParseError parse_request_line(std::string_view line, RequestHead& out) {
  std::size_t i = 0;
  while (i < line.size() && detail::is_tchar(line[i])) ++i;
  if (i == 0 || i == line.size() || line[i] != ' ') return ParseError::kBadStatusLine;
  out.method = line.substr(0, i);
  const std::size_t target_start = i + 1;
  const std::size_t sp = line.find(' ', target_start);
  if (sp == std::string_view::npos || sp == target_start) return ParseError::kBadStatusLine;
  out.target = line.substr(target_start, sp - target_start);
  const std::string_view version = line.substr(sp + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !is_digit(version[5]) ||
      version[6] != '.' || !is_digit(version[7])) {
    // A second SP inside the target, or trailing bytes, land here too.
    return version.find(' ') != std::string_view::npos || version.substr(0, 5) != "HTTP/"
               ? ParseError::kBadStatusLine
               : ParseError::kBadVersion;
  }
  if (version[5] != '1') return ParseError::kBadVersion;
  out.version_minor = version[7] - '0';

  if (!target_chars_ok(out.target)) return ParseError::kBadStatusLine;
  const bool is_options = out.method == "OPTIONS";
  const bool is_connect = out.method == "CONNECT";
  if (out.target.front() == '/') {
    // origin-form
  } else if (out.target == "*") {
    if (!is_options) return ParseError::kBadStatusLine;  // §3.2.4 asterisk-form
  } else if (is_connect) {
    // §3.2.3 authority-form: host ":" port, no scheme, path or userinfo.
    const std::size_t colon = out.target.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == out.target.size() ||
        out.target.find_first_of("/?@") != std::string_view::npos) {
      return ParseError::kBadStatusLine;
    }
  } else if (!is_absolute_form(out.target)) {
    return ParseError::kBadStatusLine;
  }

  if (const auto m = parse_method(out.method); m && to_string(*m) == out.method) {
    out.known_method = m;  // methods are case-sensitive (RFC 9110 §9.1)
  }
  return ParseError::kNone;
}

}  // namespace

std::string_view RequestHead::find(std::string_view name) const {
  for (const HeaderField& f : fields) {
    if (detail::iequals(f.name, name)) return f.value;
  }
  return {};
}

HeadResult parse_request_head(const char* data, std::size_t len, RequestHead& out,
                              std::size_t max_head) {
  out.method = {};
  out.known_method.reset();
  out.target = {};
  out.version_minor = 1;
  out.fields.clear();
  out.body_mode = BodyMode::kNone;
  out.content_length = 0;
  out.keep_alive = true;

  const std::size_t limit = std::min(len, max_head);
  const auto need_more = [len, max_head] {
    return len >= max_head ? head_error(ParseError::kHeadTooLarge)
                           : HeadResult{HeadResult::Kind::kNeedMore, 0, ParseError::kNone};
  };

  const char* const end = data + limit;
  const char* p = data;
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
  while (p != end && (*p == '\r' || *p == '\n')) {
    if (*p == '\r' && p + 1 != end && p[1] != '\n') return head_error(ParseError::kBadStatusLine);
    ++p;
  }
  if (p == end) return need_more();
  // Reject non-token bytes early rather than waiting for a line end that may never come.
  if (!detail::is_tchar(*p)) return head_error(ParseError::kBadStatusLine);

  const char* lf =
      static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
  if (lf == nullptr) return need_more();
  {
    std::string_view line(p, static_cast<std::size_t>(lf - p));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const ParseError e = parse_request_line(line, out);
    if (e != ParseError::kNone) {
      out.method = {};
      out.target = {};
      out.known_method.reset();
      return head_error(e);
    }
  }

  // RFC 9112 §5: the field section, then the framing it implies.
  p = lf + 1;
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
  RequestFraming framing;
  for (const HeaderField& f : out.fields) framing.field(f.name, f.value);
  const HeadResult done{HeadResult::Kind::kDone, static_cast<std::size_t>(p - data),
                        ParseError::kNone};

  // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, with several, or an invalid one.
  if (framing.host_count > 1 || framing.host_bad ||
      (framing.host_count == 0 && out.version_minor >= 1)) {
    return head_error(ParseError::kBadHeader);
  }

  // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  out.keep_alive = !framing.conn_close && (out.version_minor >= 1 || framing.conn_keep_alive);

  // RFC 9112 §6.3 for requests: rule 3 (TE chunked final), 4 (TE otherwise → 400, close),
  // 5 (invalid CL → 400), 6 (CL), 7 (neither → no body).
  if (framing.has_te) {
    if (framing.te_bad || framing.te_chunked_count > 1 || !framing.te_final_chunked) {
      return head_error(ParseError::kBadTransferEncoding);
    }
    out.body_mode = BodyMode::kChunked;
    // §6.1: TE with CL, or TE in HTTP/1.0, is faulty framing: close after responding.
    if (framing.has_cl || out.version_minor == 0) out.keep_alive = false;
    return done;
  }
  if (framing.has_cl) {
    if (framing.cl_bad) return head_error(ParseError::kBadContentLength);
    out.body_mode = BodyMode::kLength;
    out.content_length = framing.cl;
    return done;
  }
  out.body_mode = BodyMode::kNone;
  return done;
}

}  // namespace loadgen::http
