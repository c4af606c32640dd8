#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace loadgen::testing {

RawClient::RawClient(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string RawClient::read_response() {
  char chunk[4096];
  for (;;) {
    const std::size_t end = buf_.find("\r\n\r\n");
    if (end != std::string::npos) {
      const std::string head = buf_.substr(0, end + 4);
      const std::string cl = field_of(head, "content-length");
      const std::size_t len = cl.empty() ? 0 : static_cast<std::size_t>(std::atoll(cl.c_str()));
      if (buf_.size() >= end + 4 + len) {
        std::string out = buf_.substr(0, end + 4 + len);
        buf_.erase(0, end + 4 + len);
        return out;
      }
    }
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return {};
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string RawClient::read_until_close(bool* closed) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      if (closed) *closed = true;
      break;
    }
    if (n < 0) {
      if (closed) *closed = false;
      break;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
  return std::exchange(buf_, {});
}

int status_of(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return 0;
  return std::atoi(std::string(response.substr(9, 3)).c_str());
}

std::string field_of(std::string_view response, std::string_view name) {
  const std::size_t head_end = response.find("\r\n\r\n");
  std::string_view head = response.substr(0, head_end);
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, end == std::string_view::npos ? head.npos : end - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(),
                   [](char x, char y) { return (x | 0x20) == (y | 0x20); })) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    pos = end;
  }
  return {};
}

}  // namespace loadgen::testing
