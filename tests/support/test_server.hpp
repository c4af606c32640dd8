// TestServer: a scripted HTTP/1.1 server on 127.0.0.1 for unit tests of the client and the
// engine. Blocking POSIX sockets, one thread per connection; a handler decides each reply.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace loadgen::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string head;  // request line and fields, as received
  std::string body;
  int connection = 0;  // 1-based index of the connection it arrived on

  // First value of a field (case-insensitive name); empty when absent.
  std::string header(std::string_view name) const;
};

struct Reply {
  enum class After {
    kKeepOpen,  // read the next request on this connection
    kClose,     // close the connection after writing
    kHang,      // write, then wait until the client closes (or the server stops)
  };
  std::string bytes;  // written verbatim
  After after = After::kKeepOpen;
};

// "HTTP/1.1 <status> <reason>" with Content-Length and `extra_fields` ("Name: v\r\n" lines).
Reply http_reply(int status, std::string_view body, std::string_view extra_fields = {},
                 Reply::After after = Reply::After::kKeepOpen);

class TestServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;

  // Listens on 127.0.0.1 on an ephemeral port. The handler runs on connection threads, one
  // call at a time.
  explicit TestServer(Handler handler);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string base_url() const;

  int connections() const;
  int closed_connections() const;  // closed by either side
  std::vector<ReceivedRequest> requests() const;
  std::size_t request_count() const;

  // Waits until `pred()` holds (checked under the server's lock on every change), or the
  // timeout passes. Returns the final value of pred().
  bool wait_for(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

 private:
  void accept_loop();
  void serve(int fd, int index);

  Handler handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::mutex handler_mu_;  // one handler call at a time
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int connections_ = 0;
  int closed_ = 0;
  std::vector<ReceivedRequest> requests_;
  std::thread acceptor_;
  std::vector<std::thread> conn_threads_;  // guarded by mu_
};

// A loopback port nothing listens on (bound, then closed).
std::uint16_t unused_port();

}  // namespace loadgen::testing
