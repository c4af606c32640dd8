// A small HTTP/1.1 server for shopsim on Asio: keep-alive, pipelining, bounded heads (64 KiB,
// 431) and bodies (1 MiB, 413), idle timeout, optional 100-continue, delayed answers by timer.
// The handler is called on the connection's strand; with several io threads it must be
// thread-safe.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace loadgen::shopsim {

struct Request {
  std::string method;
  std::string target;
  std::string path;   // target up to '?'
  std::string query;  // after '?', without it
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First value of `name` (case-insensitive), empty if absent.
  std::string_view header(std::string_view name) const;
  // Every field line named `name`.
  std::vector<std::string_view> headers_named(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;                  // Allow field of a 405 (RFC 9110 §15.5.6)
  std::chrono::nanoseconds delay{0};  // wait this long before answering
};

using Handler = std::function<Response(const Request&)>;

struct ServerLimits {
  std::size_t max_head = 64 * 1024;
  std::size_t max_body = 1024 * 1024;
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 10'000;
};

class HttpServer {
 public:
  HttpServer(asio::io_context& io, Handler handler, ServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port (useful with port 0).
  core::Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  // Stops accepting; open connections end when the io_context stops.
  void close();

  struct Shared {
    Handler handler;
    ServerLimits limits;
    std::atomic<std::size_t> connections{0};
  };

 private:
  void accept();

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace loadgen::shopsim
