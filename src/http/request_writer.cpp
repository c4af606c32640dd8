// HTTP/1.1 request serialization (RFC 9112 §3: request-line, §3.2 Host; RFC 9110 §8.6
// Content-Length).
#include "http/request_writer.hpp"

#include <charconv>
#include <cstddef>

#include "http/char_class.hpp"

namespace loadgen::http {

namespace {

constexpr std::string_view kCrlf = "\r\n";

bool method_expects_body(Method m) {
  return m == Method::kPost || m == Method::kPut || m == Method::kPatch;
}

// RFC 9112 §6.1-6.3: the body this writer appends is framed by the Content-Length it computes;
// a caller's Content-Length or Transfer-Encoding would describe some other body (request
// smuggling if they disagree), so they are never written.
bool is_framing(std::string_view name) {
  return detail::iequals(name, "content-length") || detail::iequals(name, "transfer-encoding");
}

}  // namespace

void write_request(std::string& out, Method method, std::string_view target, std::string_view host,
                   std::span<const Header> headers, std::string_view body) {
  bool caller_host = false;
  std::size_t size = 0;
  const std::string_view method_name = to_string(method);
  size += method_name.size() + 1 + target.size() + 1 + 8 + 2;  // request-line
  for (const Header& h : headers) {
    size += h.name.size() + 2 + h.value.size() + 2;
    if (detail::iequals(h.name, "host")) caller_host = true;
  }
  if (!caller_host) size += 6 + host.size() + 2;

  // Content-Length digits: formatted up front so the size is exact.
  char digits[24];
  std::size_t ndigits = 0;
  const bool add_length = !body.empty() || method_expects_body(method);
  if (add_length) {
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), body.size());
    (void)ec;  // 24 chars always hold a size_t
    ndigits = static_cast<std::size_t>(end - digits);
    size += 16 + ndigits + 2;
  }
  size += 2 + body.size();
  out.reserve(out.size() + size);

  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
  out.append(method_name);
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  // RFC 9112 §3.2: a client MUST send a Host header field in every HTTP/1.1 request.
  if (!caller_host) {
    out.append("Host: ");
    out.append(host);
    out.append(kCrlf);
  }
  for (const Header& h : headers) {
    if (is_framing(h.name)) continue;
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append(kCrlf);
  }
  if (add_length) {
    out.append("Content-Length: ");
    out.append(digits, ndigits);
    out.append(kCrlf);
  }
  out.append(kCrlf);
  out.append(body);
}

bool is_valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!detail::is_tchar(c)) return false;
  }
  return true;
}

bool is_valid_header_value(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace loadgen::http
