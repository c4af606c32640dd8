// Serializes HTTP/1.1 requests (RFC 9112 §3) into a caller-owned buffer; no allocation once the
// buffer has grown to its working size. Used by the client on every request.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "http/method.hpp"

namespace loadgen::http {

struct Header {
  std::string_view name;
  std::string_view value;
};

// Appends a complete HTTP/1.1 request to `out` (does not clear it):
//   METHOD SP target SP HTTP/1.1, Host, the given headers in order, Content-Length, empty line,
//   body.
// The Host line is left out when `headers` already holds a Host field (caller's override).
// "Content-Length: N" is added when the body is non-empty or the method is POST/PUT/PATCH
// (RFC 9110 §8.6). Content-Length and Transfer-Encoding fields in `headers` are dropped: the
// body is always framed by the length written here (RFC 9112 §6.3), never beside another framing.
// Names and values must already be valid (see below); they are not checked here. A Header with
// an empty name is a block of complete field lines ("Name: value\r\n"...) that a caller
// rendered once for many requests; it is written as it is (it must hold no Host, no
// Content-Length and no Transfer-Encoding).
void write_request(std::string& out, Method method, std::string_view target, std::string_view host,
                   std::span<const Header> headers, std::string_view body);

// Appends a request from a kept start: `start` is what write_request wrote for a request
// without a body or a Content-Length, less its final empty line (the request line, Host and
// fields that stay the same between requests). Then field lines for `headers` as write_request
// writes them (framing fields dropped, an empty name is a block of complete lines), and the
// empty line that ends the head.
void finish_request(std::string& out, std::string_view start, std::span<const Header> headers);

// Whether write_request frames an empty body with "Content-Length: 0" (POST, PUT, PATCH).
bool method_expects_body(Method method);

// RFC 9110 §5.1: field-name = token (1*tchar).
bool is_valid_header_name(std::string_view name);
// RFC 9110 §5.5: no CR, LF or NUL in a field value.
bool is_valid_header_value(std::string_view value);

}  // namespace loadgen::http
