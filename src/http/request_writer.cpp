// HTTP/1.1 request serialization (RFC 9112 §3: request-line, §3.2 Host; RFC 9110 §8.6
// Content-Length).
#include "http/request_writer.hpp"

#include <cassert>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "http/char_class.hpp"

namespace loadgen::http {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// RFC 9112 §6.1-6.3: the body this writer appends is framed by the Content-Length it computes;
// a caller's Content-Length or Transfer-Encoding would describe some other body (request
// smuggling if they disagree), so they are never written.
inline bool is_framing(std::string_view name) {
  return (name.size() == 14 && detail::iequals(name, "content-length")) ||
         (name.size() == 17 && detail::iequals(name, "transfer-encoding"));
}

}  // namespace

bool method_expects_body(Method m) {
  return m == Method::kPost || m == Method::kPut || m == Method::kPatch;
}

namespace {

[[gnu::always_inline]] inline char* put(char* w, std::string_view s) {
  if (!s.empty()) std::memcpy(w, s.data(), s.size());  // (memcpy with null is UB even for 0)
  return w + s.size();
}

// The bytes put_fields writes for `headers`; sets *caller_host when they hold a Host field.
[[gnu::always_inline]] inline std::size_t fields_size(std::span<const Header> headers,
                                                      bool* caller_host) {
  std::size_t size = 0;
  for (const Header& h : headers) {
    if (h.name.empty()) {  // complete field lines, written as they are
      size += h.value.size();
      continue;
    }
    if (is_framing(h.name)) continue;
    size += h.name.size() + 2 + h.value.size() + 2;
    if (h.name.size() == 4 && detail::iequals(h.name, "host")) *caller_host = true;
  }
  return size;
}

[[gnu::always_inline]] inline char* put_fields(char* w, std::span<const Header> headers) {
  for (const Header& h : headers) {
    if (h.name.empty()) {
      w = put(w, h.value);
      continue;
    }
    if (is_framing(h.name)) continue;
    w = put(w, h.name);
    w = put(w, ": ");
    w = put(w, h.value);
    w = put(w, kCrlf);
  }
  return w;
}

}  // namespace

void write_request(std::string& out, Method method, std::string_view target, std::string_view host,
                   std::span<const Header> headers, std::string_view body) {
  // One pass to size the request exactly, then one write through a cursor: the request is
  // serialized on every attempt, and a string append per piece cost a capacity check and a
  // call each.
  bool caller_host = false;
  std::size_t size = 0;
  const std::string_view method_name = to_string(method);
  size += method_name.size() + 1 + target.size() + 1 + 8 + 2;  // request-line
  size += fields_size(headers, &caller_host);
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
  size += 2;
  // The head through the cursor; the body appended after it (resize would first zero what
  // the body then overwrites: an exporter's body is a whole batch).
  const std::size_t old = out.size();
  out.reserve(old + size + body.size());
  out.resize(old + size);
  char* w = out.data() + old;

  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
  w = put(w, method_name);
  *w++ = ' ';
  w = put(w, target);
  w = put(w, " HTTP/1.1\r\n");
  // RFC 9112 §3.2: a client MUST send a Host header field in every HTTP/1.1 request.
  if (!caller_host) {
    w = put(w, "Host: ");
    w = put(w, host);
    w = put(w, kCrlf);
  }
  w = put_fields(w, headers);
  if (add_length) {
    w = put(w, "Content-Length: ");
    w = put(w, std::string_view(digits, ndigits));
    w = put(w, kCrlf);
  }
  w = put(w, kCrlf);
  assert(w == out.data() + out.size());
  out.append(body);
}

void finish_request(std::string& out, std::string_view start, std::span<const Header> headers) {
  bool caller_host = false;  // (the start has its Host already)
  const std::size_t old = out.size();
  out.resize(old + start.size() + fields_size(headers, &caller_host) + 2);
  char* w = put(out.data() + old, start);
  w = put_fields(w, headers);
  w = put(w, kCrlf);
  assert(w == out.data() + out.size());
  (void)w;
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
