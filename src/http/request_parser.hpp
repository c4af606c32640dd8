// Incremental HTTP/1.1 request head parsing (RFC 9112 §3 request line, §5 fields, §6.3 body
// length) for servers: the shop simulator and test servers. Bodies reuse BodyDecoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "http/method.hpp"
#include "http/response_parser.hpp"

namespace loadgen::http {

struct RequestHead {
  std::string_view method;             // the method token as received (case-sensitive, §9.1)
  std::optional<Method> known_method;  // set only for an exact uppercase standard method
  std::string_view target;             // request-target as received (origin-, absolute-, ... form)
  int version_minor = 1;               // HTTP/1.x
  std::vector<HeaderField> fields;     // cleared and refilled by the parser (capacity reused)
  BodyMode body_mode = BodyMode::kNone;  // never kUntilClose for requests (RFC 9112 §6.3 rule 7)
  std::uint64_t content_length = 0;      // when body_mode == kLength
  // false for "Connection: close", HTTP/1.0 without keep-alive, or framing that RFC 9112
  // §6.1 says the server must close after (Transfer-Encoding with Content-Length, or in 1.0).
  bool keep_alive = true;

  // First value of the field `name` (case-insensitive); empty if absent.
  std::string_view find(std::string_view name) const;
};

// Parses a complete request head (request line + fields + empty line) from the start of
// [data, data+len). The views in `out` point into `data`. Results and limits as
// parse_response_head; for requests the errors mean:
//   kBadStatusLine: malformed request line (method not a token, bad target, bad spacing);
//   kBadVersion: not HTTP/1.x (a server answers 505);
//   kBadHeader: malformed field line, or Host missing in HTTP/1.1 / repeated (RFC 9112 §3.2);
//   kBadTransferEncoding: TE whose final coding is not chunked (§6.3 rule 4: 400 and close);
//   kBadContentLength: invalid or differing Content-Length (§6.3 rule 5).
// Empty lines before the request line are skipped and counted in `consumed` (RFC 9112 §2.2).
// Accepted targets (RFC 9112 §3.2): origin-form "/...", absolute-form "scheme:...",
// asterisk-form "*" (OPTIONS only) and authority-form (CONNECT only).
HeadResult parse_request_head(const char* data, std::size_t len, RequestHead& out,
                              std::size_t max_head = 64 * 1024);

}  // namespace loadgen::http
