#include "test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace loadgen::testing {

namespace {

constexpr int kPollMs = 20;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view field(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const std::size_t start = pos + 2;
    const std::size_t end = head.find("\r\n", start);
    std::string_view line =
        head.substr(start, end == std::string_view::npos ? head.npos : end - start);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return v;
    }
    pos = end;
  }
  return {};
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string ReceivedRequest::header(std::string_view name) const {
  return std::string(field(head, name));
}

Reply http_reply(int status, std::string_view body, std::string_view extra_fields,
                 Reply::After after) {
  Reply r;
  r.bytes = "HTTP/1.1 " + std::to_string(status) + " " +
            (status == 200   ? "OK"
             : status == 404 ? "Not Found"
             : status == 302 ? "Found"
             : status == 303 ? "See Other"
                             : "Status") +
            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  r.bytes.append(extra_fields);
  r.bytes += "\r\n";
  r.bytes.append(body);
  r.after = after;
  return r;
}

TestServer::TestServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind/listen on 127.0.0.1");
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestServer::~TestServer() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  acceptor_.join();  // no new connection threads after this
  std::vector<std::thread> threads;
  {
    std::lock_guard lk(mu_);
    threads.swap(conn_threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listen_fd_);
}

std::string TestServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

int TestServer::connections() const {
  std::lock_guard lk(mu_);
  return connections_;
}

int TestServer::closed_connections() const {
  std::lock_guard lk(mu_);
  return closed_;
}

std::vector<ReceivedRequest> TestServer::requests() const {
  std::lock_guard lk(mu_);
  return requests_;
}

std::size_t TestServer::request_count() const {
  std::lock_guard lk(mu_);
  return requests_.size();
}

bool TestServer::wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::unique_lock lk(mu_);
    // Bounded wait: a change between pred() and the lock is caught on the next round.
    cv_.wait_until(lk, std::min(deadline, now + std::chrono::milliseconds(kPollMs)));
  }
}

void TestServer::accept_loop() {
  for (;;) {
    {
      std::lock_guard lk(mu_);
      if (stop_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lk(mu_);
    const int index = ++connections_;
    conn_threads_.emplace_back([this, fd, index] { serve(fd, index); });
    cv_.notify_all();
  }
}

void TestServer::serve(int fd, int index) {
  std::string buf;
  char chunk[4096];
  // Reads more bytes; false when the peer closed, an error happened, or the server stops.
  auto read_more = [&]() -> bool {
    for (;;) {
      {
        std::lock_guard lk(mu_);
        if (stop_) return false;
      }
      pollfd p{fd, POLLIN, 0};
      const int rc = ::poll(&p, 1, kPollMs);
      if (rc == 0) continue;
      if (rc < 0 && errno == EINTR) continue;
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  };
  for (bool open = true; open;) {
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    ReceivedRequest req;
    req.connection = index;
    req.head = buf.substr(0, end + 2);
    buf.erase(0, end + 4);
    const std::size_t sp1 = req.head.find(' ');
    const std::size_t sp2 = req.head.find(' ', sp1 + 1);
    req.method = req.head.substr(0, sp1);
    req.target = req.head.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string cl = std::string(field(req.head, "content-length"));
    const std::size_t want = cl.empty() ? 0 : std::strtoul(cl.c_str(), nullptr, 10);
    while (buf.size() < want) {
      if (!read_more()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    req.body = buf.substr(0, want);
    buf.erase(0, want);

    Reply reply;
    {
      std::lock_guard hl(handler_mu_);
      reply = handler_(req);
    }
    {
      std::lock_guard lk(mu_);
      requests_.push_back(std::move(req));
    }
    cv_.notify_all();
    if (!send_all(fd, reply.bytes)) break;
    if (reply.after == Reply::After::kClose) break;
    if (reply.after == Reply::After::kHang) {
      while (read_more()) {
      }
      break;
    }
  }
  ::close(fd);
  {
    std::lock_guard lk(mu_);
    ++closed_;
  }
  cv_.notify_all();
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace loadgen::testing
