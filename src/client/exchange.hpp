// Private to http_client*.cpp: one attempt of a request (HttpClient::Attempt), the framing of
// its response body, and the limits both stages of HttpClient::exchange() share.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "client/content_decoding.hpp"
#include "client/http_client.hpp"
#include "client/response.hpp"
#include "http/response_parser.hpp"
#include "http/url.hpp"

namespace loadgen::client {

inline constexpr std::size_t kMaxHead =
    64 * 1024;  // RFC 9112 leaves it to us; Locust/nginx use less
inline constexpr std::size_t kMaxReadBuffer = kMaxHead + 1024;

struct HttpClient::Attempt {
  http::Method method;
  const http::Url* url;
  std::string_view target;
  std::string_view body;
  bool json;
  std::span<const http::Header> user_headers;
  bool keep_body;  // RequestOptions::response_body == kKeep
  Response* resp;
  std::string location;  // Location of a redirect response (the request is in resp's buffers)
  // Clock reads reused (core::mono_ns): when the attempt started (its deadline on a reused
  // connection counts from it) and when its last read completed (0: none yet), which is when
  // a response that arrived ends.
  std::int64_t start_ns = 0;
  std::int64_t last_read_ns = 0;
};

// What the body stage needs from the response head (its fields are gone by then: the read
// buffer is reused for the body).
struct HttpClient::BodyFraming {
  Coding coding;
  http::BodyMode mode;
  std::uint64_t content_length;
  bool keep_alive;
};

// "5s", or "1500ms" when not a whole number of seconds (in timeout messages).
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace loadgen::client
