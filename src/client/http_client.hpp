// HttpClient: the HTTP/1.1 session one simulated user holds (Locust's HttpUser.client).
// One keep-alive connection per origin, cookies kept per user, redirects followed, gzip
// decoded, connect and response timeouts, TLS with verification. Every request ends in a
// Response with an Outcome (never an exception), and is reported to the RequestObserver.
// Thread: all calls on the owning EventLoop's thread. Kill: cancel() makes in-flight and later
// requests throw core::Cancelled, so the user's coroutines unwind.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "client/config.hpp"
#include "client/cookie_jar.hpp"
#include "client/propagation.hpp"
#include "client/response.hpp"
#include "core/task.hpp"
#include "http/method.hpp"
#include "http/request_writer.hpp"

namespace loadgen::net {
class EventLoop;
class Connection;
}  // namespace loadgen::net

namespace loadgen::client {

class RequestObserver;

// What happens to the response body. kKeep: Response::text() holds it, up to
// ClientConfig::max_body_size (beyond: body_too_large). kDiscard: dropped as it streams (its
// decoded size is still counted), for requests whose body nobody reads.
enum class ResponseBody : std::uint8_t { kKeep, kDiscard };

struct RequestOptions {
  // Stats name (Locust's name=); default: the URL as requested (path and query).
  std::string_view name = {};
  std::span<const http::Header> headers = {};
  std::string_view body = {};
  // A JSON document: sent as the body with Content-Type: application/json.
  std::string_view json = {};
  bool catch_response = false;
  bool allow_redirects = true;
  ResponseBody response_body = ResponseBody::kKeep;
};

class HttpClient {
 public:
  HttpClient(net::EventLoop& loop, const ClientConfig& config, RequestObserver* observer);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `url` is a path ("/cart?x=1", resolved against the base URL) or an absolute URL.
  // The string arguments must outlive the co_await (true for temporaries in the same
  // full expression: `auto r = co_await client.get("/a/" + id);`).
  core::Task<Response> request(http::Method method, std::string_view url, RequestOptions opts = {});
  core::Task<Response> get(std::string_view url, RequestOptions opts = {}) {
    return request(http::Method::kGet, url, opts);
  }
  core::Task<Response> post(std::string_view url, RequestOptions opts = {}) {
    return request(http::Method::kPost, url, opts);
  }
  core::Task<Response> put(std::string_view url, RequestOptions opts = {}) {
    return request(http::Method::kPut, url, opts);
  }
  core::Task<Response> patch(std::string_view url, RequestOptions opts = {}) {
    return request(http::Method::kPatch, url, opts);
  }
  core::Task<Response> del(std::string_view url, RequestOptions opts = {}) {
    return request(http::Method::kDelete, url, opts);
  }
  core::Task<Response> head(std::string_view url, RequestOptions opts = {}) {
    return request(http::Method::kHead, url, opts);
  }

  CookieJar& cookies() { return cookies_; }
  // The user's trace context, injected into every request; null: no trace headers.
  void set_trace(RequestTrace* trace) { trace_ = trace; }
  // Stops this client for good: in-flight and later requests throw core::Cancelled.
  void cancel();
  bool cancelled() const { return cancelled_; }
  // Closes idle connections (frees their buffers).
  void close_connections();
  // Before a long wait: hands the idle keep-alive connections back to the loop's pool
  // (net::ConnectionPool; closed when it has none), so a waiting user holds no socket, no
  // Connection and no buffer. The next request takes a pooled one or opens a new one.
  // Only between requests (none in flight).
  void park();
  std::chrono::nanoseconds park_after() const { return config_.park_after; }
  // park() when `wait` is at least ClientConfig::park_after.
  void park_for(std::chrono::nanoseconds wait) {
    if (wait >= config_.park_after) park();
  }

 private:
  struct Attempt;      // client/exchange.hpp
  struct BodyFraming;  // client/exchange.hpp
  // One request and its response on one connection (http_client.cpp); the body stage is
  // read_body (http_client_body.cpp).
  core::Task<void> exchange(Attempt& a);
  core::Task<void> read_body(net::Connection& c, Attempt& a, BodyFraming head);
  void serialize(Attempt& a);
  void report_attempt(const Attempt& a, Response& r, std::string_view name, bool named,
                      std::int64_t start_wall_ns, std::int64_t duration_ns, int hops);
  static void set_failure(Response& r, Outcome o, std::string_view detail);
  net::Connection& connection_for(const http::Url& url);

  net::EventLoop& loop_;
  const ClientConfig& config_;
  RequestObserver* observer_;
  RequestTrace* trace_ = nullptr;
  CookieJar cookies_;
  // Held from the first request to a park(): the base origin's connection and the latest
  // other origin's (redirects, absolute URLs). Null while parked.
  std::unique_ptr<net::Connection> primary_;
  std::unique_ptr<net::Connection> secondary_;
  bool cancelled_ = false;
};

}  // namespace loadgen::client
