// RawClient: a blocking loopback TCP client for server tests that need exact bytes on the
// wire (dribbled heads, malformed requests, several requests on one connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen::testing {

class RawClient {
 public:
  // Connects to 127.0.0.1:port; every read gives up after `timeout`.
  explicit RawClient(std::uint16_t port,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view bytes);
  // One response: its head and the Content-Length bytes after it ("" on close or timeout).
  std::string read_response();
  // Everything until the peer closes; `closed` says whether it did (false: timed out).
  std::string read_until_close(bool* closed = nullptr);

 private:
  int fd_ = -1;
  std::string buf_;
};

// The status code of a response ("HTTP/1.1 404 ..." → 404), 0 when there is none.
int status_of(std::string_view response);
// The value of a field in a response head (case-insensitive name), "" when absent.
std::string field_of(std::string_view response, std::string_view name);

}  // namespace loadgen::testing
