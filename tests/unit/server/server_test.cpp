// Tests for server/: routing (404, 405 + Allow), head and body limits (431, 413), keep-alive,
// idle timeout, a slow and a malformed client, the authentication hook, max connections and
// an orderly shutdown. The server runs on its own loop thread; clients are raw sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "net/event_loop.hpp"
#include "raw_client.hpp"
#include "server/http_server.hpp"
#include "server/router.hpp"

namespace loadgen::server {
namespace {

using namespace std::chrono_literals;
using testing::field_of;
using testing::RawClient;
using testing::status_of;

Response text(std::string body) {
  Response r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  void start(Handler handler, ServerOptions options = {}) {
    loop_ = std::make_unique<net::EventLoop>();
    server_ = std::make_unique<HttpServer>(*loop_, std::move(handler), std::move(options));
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { loop_->run(); });
  }
  void start_router(ServerOptions options = {}) {
    router_.add("GET", "/a", [](const Request&) { return text("a"); })
        .add("POST", "/a", [](const Request& r) { return text("posted " + r.body); })
        .add_prefix("GET", "/p/", [](const Request& r) { return text(r.path + "?" + r.query); });
    start([this](const Request& r) { return router_.route(r); }, std::move(options));
  }
  void TearDown() override {
    if (!thread_.joinable()) return;
    std::atomic<bool> stopped{false};
    loop_->post([this, &stopped] {
      server_->shutdown([this, &stopped] {
        stopped = true;
        loop_->post([this] { loop_->stop(); });
      });
    });
    thread_.join();
    EXPECT_TRUE(stopped.load());
    server_.reset();
    loop_.reset();
  }

  Router router_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

TEST(Router, ExactBeatsPrefixAndLongestPrefixWins) {
  Router r;
  r.add_prefix("GET", "/", [](const Request&) { return text("root"); })
      .add_prefix("GET", "/api/", [](const Request&) { return text("api"); })
      .add("GET", "/api/x", [](const Request&) { return text("exact"); });
  Request req;
  req.method = "GET";
  req.path = "/api/x";
  EXPECT_EQ(r.route(req).body, "exact");
  req.path = "/api/y";
  EXPECT_EQ(r.route(req).body, "api");
  req.path = "/other";
  EXPECT_EQ(r.route(req).body, "root");
  req.method = "HEAD";  // served by the GET route
  EXPECT_EQ(r.route(req).status, 200);
}

TEST_F(ServerTest, RoutesAnd404And405WithAllow) {
  start_router();
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r = c.read_response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(r.substr(r.size() - 1), "a");
  c.send("GET /p/q?k=v HTTP/1.1\r\nHost: x\r\n\r\n");
  r = c.read_response();
  EXPECT_NE(r.find("/p/q?k=v"), std::string::npos) << r;
  c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 404);
  c.send("DELETE /a HTTP/1.1\r\nHost: x\r\n\r\n");
  r = c.read_response();
  EXPECT_EQ(status_of(r), 405);
  EXPECT_EQ(field_of(r, "allow"), "GET, HEAD, POST");
  c.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  r = c.read_response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("posted abc"), std::string::npos);
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start_router();
  RawClient c(port_);
  // Pipelined: both requests in one write.
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 200);
  EXPECT_EQ(status_of(c.read_response()), 200);
  c.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string r = c.read_response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(field_of(r, "connection"), "close");
  bool closed = false;
  c.read_until_close(&closed);
  EXPECT_TRUE(closed);
}

TEST_F(ServerTest, HeadOverTheLimitIs431) {
  ServerOptions o;
  o.limits.max_head = 1024;
  start_router(o);
  RawClient c(port_);
  c.send("GET /a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'b') + "\r\n\r\n");
  bool closed = false;
  const std::string r = c.read_until_close(&closed);
  EXPECT_EQ(status_of(r), 431) << r;
  EXPECT_TRUE(closed);
}

TEST_F(ServerTest, BodyOverTheLimitIs413ByLengthAndWhenChunked) {
  ServerOptions o;
  o.limits.max_body = 100;
  start_router(o);
  {
    RawClient c(port_);
    c.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'));
    bool closed = false;
    EXPECT_EQ(status_of(c.read_until_close(&closed)), 413);
    EXPECT_TRUE(closed);
  }
  {
    RawClient c(port_);
    c.send("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" +
           std::string(512, 'x') + "\r\n0\r\n\r\n");
    EXPECT_EQ(status_of(c.read_until_close()), 413);
  }
}

TEST_F(ServerTest, MalformedRequestIs400ThenClose) {
  start_router();
  RawClient c(port_);
  c.send("GARBAGE\r\n\r\n");
  bool closed = false;
  const std::string r = c.read_until_close(&closed);
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_EQ(field_of(r, "connection"), "close");
  EXPECT_TRUE(closed);
}

TEST_F(ServerTest, IdleConnectionIsClosedAfterTheTimeout) {
  ServerOptions o;
  o.limits.idle_timeout = 200ms;
  start_router(o);
  RawClient c(port_);
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 200);
  const auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  EXPECT_EQ(c.read_until_close(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST_F(ServerTest, SlowClientDribblingItsHeadIsClosed) {
  ServerOptions o;
  o.limits.idle_timeout = 300ms;
  start_router(o);
  RawClient c(port_, 20ms);
  const std::string head = "GET /a HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(200, 'p');
  bool closed = false;
  const auto t0 = std::chrono::steady_clock::now();
  for (char ch : head) {
    // A byte every 20 ms: each read succeeds, but the request never completes in time.
    if (!c.send(std::string_view(&ch, 1))) break;
    std::string got = c.read_until_close(&closed);
    if (closed) {
      EXPECT_EQ(got, "");  // no answer, just the close
      break;
    }
    if (std::chrono::steady_clock::now() - t0 > 5s) break;
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST_F(ServerTest, SlowlorisIsClosedAtTheHeadTimeoutBeforeTheIdleTimeout) {
  ServerOptions o;
  o.limits.idle_timeout = 10s;
  o.limits.head_timeout = 300ms;
  start_router(o);
  // A first request completes at once; the head timeout counts from a head's first byte.
  RawClient c(port_, 20ms);
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 200);
  std::this_thread::sleep_for(400ms);  // idle, not a head: not closed
  const std::string head = "GET /a HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(400, 'p');
  bool closed = false;
  const auto t0 = std::chrono::steady_clock::now();
  for (char ch : head) {
    if (!c.send(std::string_view(&ch, 1))) break;
    std::string got = c.read_until_close(&closed);
    if (closed) {
      EXPECT_EQ(got, "");
      break;
    }
    if (std::chrono::steady_clock::now() - t0 > 5s) break;
  }
  EXPECT_TRUE(closed);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
}

TEST_F(ServerTest, AtTheBoundTheOldestSilentConnectionMakesRoom) {
  ServerOptions o;
  o.limits.max_connections = 2;
  start_router(o);
  RawClient oldest(port_, 300ms), newer(port_, 300ms);
  ASSERT_TRUE(oldest.connected() && newer.connected());
  std::this_thread::sleep_for(100ms);  // both accepted, silent
  RawClient client(port_);
  client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(client.read_response()), 200);
  bool closed = false;
  oldest.read_until_close(&closed);
  EXPECT_TRUE(closed);
  newer.read_until_close(&closed);
  EXPECT_FALSE(closed);  // timed out reading: still open
}

TEST_F(ServerTest, AuthHookRejectsWith401AndAChallenge) {
  ServerOptions o;
  o.authenticate = [](const Request& r) { return r.header("authorization") == "Basic dTpw"; };
  o.challenge = "Basic realm=\"test\"";
  start_router(o);
  RawClient c(port_);
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r = c.read_response();
  EXPECT_EQ(status_of(r), 401);
  EXPECT_EQ(field_of(r, "www-authenticate"), "Basic realm=\"test\"");
  c.send("GET /a HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dTpw\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 200);
}

TEST_F(ServerTest, ConnectionsOverTheBoundAreClosed) {
  ServerOptions o;
  o.limits.max_connections = 1;
  start_router(o);
  RawClient first(port_);
  first.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(first.read_response()), 200);
  RawClient second(port_);
  second.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  EXPECT_EQ(second.read_until_close(&closed), "");
  EXPECT_TRUE(closed);
}

TEST_F(ServerTest, DelayedAnswerAndShutdownWithOpenConnections) {
  start([](const Request&) {
    Response r = text("late");
    r.delay = 50ms;
    return r;
  });
  RawClient c(port_);
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 200);
  RawClient idle(port_);  // still open when TearDown shuts the server down
  ASSERT_TRUE(idle.connected());
}

TEST_F(ServerTest, HandlerExceptionIs500) {
  start([](const Request&) -> Response { throw std::runtime_error("boom"); });
  RawClient c(port_);
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 500);
}

}  // namespace
}  // namespace loadgen::server
