// What a server handler sees and fills: one parsed request (owned copies of its parts) and
// the response to send. Shared by the router, the server and every handler (shopsim,
// Prometheus /metrics, the web UI).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loadgen::server {

struct Request {
  std::string method;  // as received (case-sensitive token, RFC 9110 §9.1)
  std::string target;  // request-target as received
  std::string path;    // target up to '?'
  std::string query;   // after '?', without it
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked

  // First value of `name` (case-insensitive), empty if absent.
  std::string_view header(std::string_view name) const;
  // Every field line named `name`.
  std::vector<std::string_view> headers_named(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // Allow field of a 405 (RFC 9110 §15.5.6)
  // Other fields (e.g. WWW-Authenticate); never Content-Length, Connection or Transfer-Encoding.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::nanoseconds delay{0};  // wait this long before answering (the loop keeps running)
};

// "Not Found", "Method Not Allowed", ...; "Unknown" for codes we never send.
std::string_view reason_phrase(int status);

bool iequals(std::string_view a, std::string_view b);

}  // namespace loadgen::server
