// Tests for client/http_client against a scripted HTTP/1.1 server on 127.0.0.1: keep-alive,
// framing, gzip, redirects, cookies, outcome classification, catch_response, cancel.
#include "client/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/request_observer.hpp"
#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "http/url.hpp"
#include "loop_runner.hpp"
#include "net/event_loop.hpp"
#include "test_server.hpp"

namespace loadgen::client {
namespace {

using namespace std::chrono_literals;
using testing::http_reply;
using testing::ReceivedRequest;
using testing::Reply;
using testing::run_on_loop;
using testing::TestServer;

struct Recorded {
  http::Method method;
  std::string name, url;
  int status;
  Outcome outcome;
  std::string error;
  std::uint64_t bytes;
};

class RecordingObserver final : public RequestObserver {
 public:
  void on_request(const RequestRecord& r) override {
    records.push_back(Recorded{r.method, std::string(r.name), std::string(r.url), r.status,
                               r.outcome, std::string(r.error), r.response_bytes});
  }
  std::vector<Recorded> records;
};

std::string gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A loopback server that, for every connection, reads a request head, writes `head`, then
// writes `chunk` again and again until the client goes away (or `limit` bytes of chunks): the
// hostile peers of issue 10 (huge and endless bodies, endless interim responses).
class StreamServer {
 public:
  StreamServer(std::string head, std::string chunk, std::uint64_t limit = UINT64_MAX)
      : head_(std::move(head)), chunk_(std::move(chunk)), limit_(limit) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~StreamServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint64_t sent() const { return sent_; }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{0, 100'000};
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      bool ok = write_all(c, head_);
      std::uint64_t left = limit_;
      while (ok && !stop_ && left > 0) {
        const std::size_t k =
            static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk_.size()));
        ok = write_all(c, std::string_view(chunk_).substr(0, k));
        left -= k;
      }
      ::close(c);
    }
  }
  bool write_all(int c, std::string_view data) {
    while (!data.empty() && !stop_) {
      const ssize_t n = ::send(c, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
      sent_ += static_cast<std::uint64_t>(n);
    }
    return data.empty();
  }

  std::string head_, chunk_;
  std::uint64_t limit_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

// The loop, the config, the observer and a client (destroyed before the loop).
class HttpClientTest : public ::testing::Test {
 protected:
  void use(const std::string& base) {
    auto u = http::parse_url(base);
    ASSERT_TRUE(u.ok()) << base;
    cfg.set_base(*u);
    client = std::make_unique<HttpClient>(loop, cfg, &obs);
  }
  template <class MakeTask>
  void run(MakeTask&& make) {
    ASSERT_TRUE(run_on_loop(loop, std::forward<MakeTask>(make))) << "the test coroutine hung";
  }

  net::EventLoop loop;
  ClientConfig cfg;
  RecordingObserver obs;
  std::unique_ptr<HttpClient> client;
};

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  TestServer server([](const ReceivedRequest& r) { return http_reply(200, "hello " + r.target); });
  use(server.base_url());
  std::vector<std::string> bodies;
  run([&]() -> core::Task<> {
    for (int i = 0; i < 3; ++i) {
      Response r = co_await client->get("/p" + std::to_string(i));
      EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
      EXPECT_EQ(r.status_code(), 200);
      bodies.emplace_back(r.text());
    }
  });
  EXPECT_EQ(bodies, (std::vector<std::string>{"hello /p0", "hello /p1", "hello /p2"}));
  EXPECT_EQ(server.connections(), 1);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(reqs[0].header("user-agent"), cfg.user_agent);
  ASSERT_EQ(obs.records.size(), 3u);
  EXPECT_EQ(obs.records[1].name, "/p1");
  EXPECT_EQ(obs.records[1].url, server.base_url() + "/p1");
  EXPECT_EQ(obs.records[1].outcome, Outcome::kOk);
  EXPECT_EQ(obs.records[1].bytes, 9u);
}

TEST_F(HttpClientTest, ContentLengthAndChunkedBodies) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/chunked") {
      return Reply{
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"};
    }
    return http_reply(200, "fixed length body");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response a = co_await client->get("/cl");
    EXPECT_EQ(a.outcome(), Outcome::kOk) << a.error();
    EXPECT_EQ(a.text(), "fixed length body");
    Response b = co_await client->get("/chunked");
    EXPECT_EQ(b.outcome(), Outcome::kOk) << b.error();
    EXPECT_EQ(b.text(), "hello world");
    Response c = co_await client->get("/cl");
    EXPECT_EQ(c.text(), "fixed length body");
  });
  EXPECT_EQ(server.connections(), 1);  // the chunked framing left the connection reusable
}

TEST_F(HttpClientTest, GzipBodyIsDecoded) {
  std::string original;
  for (int i = 0; i < 500; ++i) original += "compressible text ";
  const std::string compressed = gzip(original);
  TestServer server([&](const ReceivedRequest&) {
    return http_reply(200, compressed, "Content-Encoding: gzip\r\n");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/z");
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    EXPECT_EQ(r.text(), original);
    EXPECT_EQ(r.header("content-encoding"), "gzip");
  });
  EXPECT_NE(server.requests().at(0).header("accept-encoding").find("gzip"), std::string::npos);
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].bytes, original.size());  // Locust counts the decoded size
}

TEST_F(HttpClientTest, CorruptGzipIsMalformed) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(200, "definitely not gzip", "Content-Encoding: gzip\r\n");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/z");
    EXPECT_EQ(r.outcome(), Outcome::kMalformed);
  });
}

TEST_F(HttpClientTest, RedirectIsFollowed) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/old") return http_reply(302, "", "Location: /new\r\n");
    return http_reply(200, "new place");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/old");
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    EXPECT_EQ(r.status_code(), 200);
    EXPECT_EQ(r.text(), "new place");
    EXPECT_EQ(r.url(), server.base_url() + "/new");
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].target, "/new");
  EXPECT_EQ(server.connections(), 1);
  ASSERT_EQ(obs.records.size(), 1u);  // one record for the whole chain, under the first name
  EXPECT_EQ(obs.records[0].name, "/old");
}

TEST_F(HttpClientTest, RelativeLocationResolvesAgainstTheRequestUrl) {
  // RFC 9110 §10.2.2 / RFC 3986 §5.2: the base of a relative Location is the request's URI.
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/shop/cart/view") return http_reply(302, "", "Location: ../checkout?x=1\r\n");
    return http_reply(200, r.target);
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/shop/cart/view");
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    EXPECT_EQ(r.text(), "/shop/checkout?x=1");
    EXPECT_EQ(r.url(), server.base_url() + "/shop/checkout?x=1");
  });
}

TEST_F(HttpClientTest, RedirectsCanBeTurnedOff) {
  TestServer server(
      [](const ReceivedRequest&) { return http_reply(302, "", "Location: /new\r\n"); });
  use(server.base_url());
  run([&]() -> core::Task<> {
    RequestOptions o;
    o.allow_redirects = false;
    Response r = co_await client->get("/old", o);
    EXPECT_EQ(r.outcome(), Outcome::kOk);
    EXPECT_EQ(r.status_code(), 302);
    EXPECT_EQ(r.header("location"), "/new");
  });
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpClientTest, RedirectToAnotherOrigin) {
  TestServer other([](const ReceivedRequest&) { return http_reply(200, "other origin"); });
  TestServer server([&](const ReceivedRequest&) {
    return http_reply(302, "", "Location: " + other.base_url() + "/there\r\n");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/here");
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    EXPECT_EQ(r.text(), "other origin");
    EXPECT_EQ(r.url(), other.base_url() + "/there");
  });
  ASSERT_EQ(other.request_count(), 1u);
  EXPECT_EQ(other.requests()[0].header("host"), "127.0.0.1:" + std::to_string(other.port()));
}

TEST_F(HttpClientTest, SeeOtherTurnsPostIntoGet) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/form") return http_reply(303, "", "Location: /done\r\n");
    return http_reply(200, "done");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    RequestOptions o;
    o.body = "x=1";
    Response r = co_await client->post("/form", o);
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    EXPECT_EQ(r.text(), "done");
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].body, "x=1");
  EXPECT_EQ(reqs[1].method, "GET");  // RFC 9110 §15.4.4
  EXPECT_EQ(reqs[1].body, "");
  EXPECT_EQ(reqs[1].header("content-length"), "");
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].method, http::Method::kPost);  // recorded as requested
}

TEST_F(HttpClientTest, TemporaryRedirectKeepsPostAndBody) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/a") return http_reply(307, "", "Location: /b\r\n");
    return http_reply(200, "ok");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    RequestOptions o;
    o.json = R"({"k":1})";
    Response r = co_await client->post("/a", o);
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method, "POST");  // RFC 9110 §15.4.8
  EXPECT_EQ(reqs[1].body, R"({"k":1})");
  EXPECT_EQ(reqs[1].header("content-type"), "application/json");
}

TEST_F(HttpClientTest, TooManyRedirects) {
  TestServer server(
      [](const ReceivedRequest&) { return http_reply(302, "", "Location: /loop\r\n"); });
  cfg.max_redirects = 2;
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/loop");
    EXPECT_EQ(r.outcome(), Outcome::kTooManyRedirects);
    EXPECT_EQ(r.error(), "too_many_redirects: more than 2 redirects");
  });
  EXPECT_EQ(server.request_count(), 3u);
}

TEST_F(HttpClientTest, SetCookieThenCookieSentBack) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/login") return http_reply(200, "in", "Set-Cookie: sid=abc123; Path=/\r\n");
    return http_reply(200, "page");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    co_await client->get("/login");
    co_await client->get("/home");
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("cookie"), "");
  EXPECT_EQ(reqs[1].header("cookie"), "sid=abc123");
  EXPECT_EQ(client->cookies().get("sid"), "abc123");
}

TEST_F(HttpClientTest, CookiePathsFollowTheRequestPathNotTheBaseUrl) {
  // RFC 6265 §5.1.4 default-path and §5.4 path-match use the path of the request URI.
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/account/login") {
      return http_reply(200, "", "Set-Cookie: acc=1; Path=/account\r\nSet-Cookie: dflt=1\r\n");
    }
    return http_reply(200, "page");
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    co_await client->get("/account/login");
    co_await client->get("/account/home");
    co_await client->get("/other");
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].header("cookie"), "acc=1; dflt=1");
  EXPECT_EQ(reqs[2].header("cookie"), "");
}

TEST_F(HttpClientTest, ConnectionRefused) {
  use("http://127.0.0.1:" + std::to_string(testing::unused_port()));
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/");
    EXPECT_EQ(r.outcome(), Outcome::kConnectRefused);
    EXPECT_EQ(r.status_code(), 0);
    EXPECT_TRUE(r.error().starts_with("connect_refused: ")) << r.error();
  });
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].outcome, Outcome::kConnectRefused);
}

TEST_F(HttpClientTest, IdleKeepAliveConnectionClosedByServerIsRetried) {
  TestServer server([](const ReceivedRequest&) {
    // Looks keep-alive (HTTP/1.1, no Connection: close), but the server closes it afterwards.
    return http_reply(200, "once", {}, Reply::After::kClose);
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response a = co_await client->get("/1");
    EXPECT_EQ(a.outcome(), Outcome::kOk) << a.error();
    // Let the close happen while the connection is idle (blocking the loop thread is fine:
    // nothing else runs on it).
    EXPECT_TRUE(server.wait_for([&] { return server.closed_connections() == 1; }));
    Response b = co_await client->get("/2");
    EXPECT_EQ(b.outcome(), Outcome::kOk) << b.error();
    EXPECT_EQ(b.text(), "once");
  });
  EXPECT_EQ(server.connections(), 2);
  ASSERT_EQ(obs.records.size(), 2u);
  EXPECT_EQ(obs.records[1].outcome, Outcome::kOk);
}

TEST_F(HttpClientTest, ConnectionCloseHeaderIsHonoured) {
  TestServer server([](const ReceivedRequest&) {
    return http_reply(200, "bye", "Connection: close\r\n", Reply::After::kClose);
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    for (int i = 0; i < 2; ++i) {
      Response r = co_await client->get("/");
      EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    }
  });
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpClientTest, SlowResponseIsAReadTimeout) {
  TestServer server([](const ReceivedRequest&) { return Reply{"", Reply::After::kHang}; });
  cfg.timeout = 200ms;
  use(server.base_url());
  std::int64_t elapsed = 0;
  run([&]() -> core::Task<> {
    const auto t0 = core::mono_ns();
    Response r = co_await client->get("/slow");
    elapsed = core::mono_ns() - t0;
    EXPECT_EQ(r.outcome(), Outcome::kReadTimeout);
    EXPECT_EQ(r.error(), "read_timeout: no response within 200ms");
  });
  EXPECT_GE(elapsed, 200'000'000);
  EXPECT_LT(elapsed, 3'000'000'000);
  // The client closed the connection it gave up on.
  EXPECT_TRUE(server.wait_for([&] { return server.closed_connections() == 1; }));
}

TEST_F(HttpClientTest, SlowBodyIsAReadTimeout) {
  TestServer server([](const ReceivedRequest&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", Reply::After::kHang};
  });
  cfg.timeout = 200ms;
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/slow");
    EXPECT_EQ(r.outcome(), Outcome::kReadTimeout) << r.error();
  });
}

// --timeout holds while bytes keep arriving (issue 10): each read starts only before the
// deadline. Bounds: the timeout + 20 ms sweep precision; asserted with +1 s of slack for
// loaded machines and sanitizers.
class HostilePeerTest : public HttpClientTest {
 protected:
  void expect_read_timeout(StreamServer& server, RequestOptions opts = {}) {
    cfg.timeout = 300ms;
    use(server.base_url());
    std::int64_t elapsed = 0;
    run([&]() -> core::Task<> {
      const auto t0 = core::mono_ns();
      Response r = co_await client->get("/", opts);
      elapsed = core::mono_ns() - t0;
      EXPECT_EQ(r.outcome(), Outcome::kReadTimeout) << r.error();
      EXPECT_TRUE(r.text().empty());
    });
    EXPECT_GE(elapsed, 300'000'000);
    EXPECT_LT(elapsed, 1'400'000'000);
    EXPECT_GT(server.sent(), 0u);
  }
};

TEST_F(HostilePeerTest, HugeContentLengthBodyTimesOut) {
  StreamServer server("HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n",
                      std::string(64 * 1024, 'x'));
  expect_read_timeout(server, {.response_body = ResponseBody::kDiscard});
}

TEST_F(HostilePeerTest, EndlessChunkedBodyTimesOut) {
  StreamServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                      "4000\r\n" + std::string(0x4000, 'c') + "\r\n");
  expect_read_timeout(server, {.response_body = ResponseBody::kDiscard});
}

TEST_F(HostilePeerTest, EndlessInterimResponsesTimeOut) {
  std::string burst;
  for (int i = 0; i < 512; ++i) burst += "HTTP/1.1 100 Continue\r\n\r\n";
  StreamServer server("", burst);
  expect_read_timeout(server);
}

TEST_F(HttpClientTest, DiscardedBodyIsCountedNotKept) {
  StreamServer server("HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n",
                      std::string(1 << 20, 'x'), 50'000'000);
  cfg.max_body_size = 1024;  // the cap is for kept bodies: a discarded one may be any size
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/big", {.response_body = ResponseBody::kDiscard});
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    EXPECT_TRUE(r.text().empty());
  });
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].bytes, 50'000'000u);
}

TEST_F(HttpClientTest, KeptBodyOverTheCapIsBodyTooLarge) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/chunked") {
      return Reply{
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          "800\r\n" +
          std::string(0x800, 'c') + "\r\n0\r\n\r\n"};
    }
    return http_reply(200, std::string(r.target == "/fits" ? 1024 : 1025, 'x'));
  });
  cfg.max_body_size = 1024;
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response a = co_await client->get("/fits");
    EXPECT_EQ(a.outcome(), Outcome::kOk) << a.error();
    EXPECT_EQ(a.text().size(), 1024u);
    Response b = co_await client->get("/over");  // Content-Length known: fails at once
    EXPECT_EQ(b.outcome(), Outcome::kBodyTooLarge);
    EXPECT_EQ(b.error(), "body_too_large: Content-Length 1025 beyond --max-body-size (1024 bytes)");
    EXPECT_TRUE(b.text().empty());
    Response c = co_await client->get("/chunked");  // found out while it streams
    EXPECT_EQ(c.outcome(), Outcome::kBodyTooLarge);
    EXPECT_EQ(c.error(), "body_too_large: body beyond --max-body-size (1024 bytes)");
    Response d = co_await client->get("/over", {.response_body = ResponseBody::kDiscard});
    EXPECT_EQ(d.outcome(), Outcome::kOk) << d.error();
  });
}

TEST_F(HttpClientTest, DecodedBodyOverTheCapIsBodyTooLargeKeptOrDiscarded) {
  const std::string zeros(8u << 20, '\0');
  const std::string bomb = gzip(zeros);
  TestServer server(
      [&](const ReceivedRequest&) { return http_reply(200, bomb, "Content-Encoding: gzip\r\n"); });
  cfg.max_body_size = 1u << 20;
  use(server.base_url());
  run([&]() -> core::Task<> {
    for (auto policy : {ResponseBody::kKeep, ResponseBody::kDiscard}) {
      Response r = co_await client->get("/bomb", {.response_body = policy});
      EXPECT_EQ(r.outcome(), Outcome::kBodyTooLarge) << r.error();
      EXPECT_EQ(r.error(), "body_too_large: decoded body beyond --max-body-size (1048576 bytes)");
      EXPECT_TRUE(r.text().empty());
    }
    cfg.max_body_size = zeros.size();  // exactly the cap fits
    Response k = co_await client->get("/bomb");
    EXPECT_EQ(k.outcome(), Outcome::kOk) << k.error();
    EXPECT_EQ(k.text().size(), zeros.size());
    Response d = co_await client->get("/bomb", {.response_body = ResponseBody::kDiscard});
    EXPECT_EQ(d.outcome(), Outcome::kOk) << d.error();
    EXPECT_TRUE(d.text().empty());
  });
  ASSERT_EQ(obs.records.size(), 4u);
  EXPECT_EQ(obs.records[3].bytes, zeros.size());  // the decoded size, as Locust counts
}

TEST_F(HttpClientTest, InflatingYieldsToTheLoopBetweenSlices) {
  // While one request inflates a large body, another task on the same loop gets turns between
  // the slices. Measured in the loop thread's CPU time between the other task's turns, so that
  // a loaded machine (the thread waiting for a core) does not count: one slice (256 KiB of
  // output) is about a millisecond of CPU; a whole-body inflate of 256 MiB is 100+ ms in one go.
  const std::string zeros(256u << 20, '\0');
  const std::string bomb = gzip(zeros);
  TestServer server(
      [&](const ReceivedRequest&) { return http_reply(200, bomb, "Content-Encoding: gzip\r\n"); });
  cfg.max_body_size = zeros.size();
  use(server.base_url());
  auto thread_cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  };
  std::int64_t worst_gap = 0;
  int turns = 0;
  bool done = false;
  bool other_done = false;
  // A named lambda: the coroutine refers to its captures after spawn() returns.
  auto other = [&]() -> core::Task<> {
    std::int64_t last = thread_cpu_ns();
    while (!done) {
      co_await loop.yield();
      const std::int64_t now = thread_cpu_ns();
      worst_gap = std::max(worst_gap, now - last);
      last = now;
      ++turns;
    }
  };
  run([&]() -> core::Task<> {
    core::spawn(other(), [&](std::exception_ptr) { other_done = true; });
    Response r = co_await client->get("/bomb", {.response_body = ResponseBody::kDiscard});
    done = true;
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    net::Sleeper wait;
    while (!other_done) co_await loop.sleep(wait, 5ms);
  });
  EXPECT_GT(turns, 100);  // 1024 slices, each followed by a turn
  EXPECT_LT(worst_gap, 30'000'000)
      << "the loop ran " << worst_gap / 1'000'000 << " ms of CPU without a turn for the other task";
}

TEST_F(HttpClientTest, CallerFramingHeadersAreNeverSentBesideTheBody) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "ok"); });
  use(server.base_url());
  const std::array<http::Header, 2> headers = {http::Header{"Content-Length", "999"},
                                               http::Header{"Transfer-Encoding", "chunked"}};
  run([&]() -> core::Task<> {
    Response r = co_await client->post("/p", {.headers = headers, .body = "abc"});
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].header("content-length"), "3");
  EXPECT_EQ(reqs[0].header("transfer-encoding"), "");
  EXPECT_EQ(reqs[0].body, "abc");
}

TEST_F(HttpClientTest, MalformedStatusLine) {
  TestServer server([](const ReceivedRequest&) {
    return Reply{"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", Reply::After::kClose};
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/");
    EXPECT_EQ(r.outcome(), Outcome::kMalformed);
    EXPECT_TRUE(r.error().starts_with("malformed: ")) << r.error();
  });
}

TEST_F(HttpClientTest, ShortBodyThenCloseIsIncomplete) {
  TestServer server([](const ReceivedRequest&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", Reply::After::kClose};
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/");
    EXPECT_EQ(r.outcome(), Outcome::kIncomplete);
    EXPECT_EQ(r.error(), "incomplete: connection closed after 3 body bytes");
  });
}

TEST_F(HttpClientTest, CloseBeforeAnyResponseByteIsReset) {
  TestServer server([](const ReceivedRequest&) { return Reply{"", Reply::After::kClose}; });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/");
    EXPECT_EQ(r.outcome(), Outcome::kReset) << r.error();
  });
}

TEST_F(HttpClientTest, BodyUntilCloseIsComplete) {
  TestServer server([](const ReceivedRequest&) {
    return Reply{"HTTP/1.1 200 OK\r\n\r\nall of it", Reply::After::kClose};
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/");
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    EXPECT_EQ(r.text(), "all of it");
  });
}

TEST_F(HttpClientTest, NotFoundIsAnHttpStatusFailure) {
  TestServer server([](const ReceivedRequest&) { return http_reply(404, "nope"); });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/missing");
    EXPECT_EQ(r.outcome(), Outcome::kHttpStatus);
    EXPECT_EQ(r.status_code(), 404);
    EXPECT_EQ(r.error(), "http_status: 404 Not Found");
    EXPECT_EQ(r.text(), "nope");
  });
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].outcome, Outcome::kHttpStatus);
  EXPECT_EQ(obs.records[0].error, "http_status: 404 Not Found");
  EXPECT_EQ(obs.records[0].status, 404);
}

TEST_F(HttpClientTest, InterimResponsesAreSkipped) {
  TestServer server([](const ReceivedRequest&) {
    Reply r = http_reply(200, "final");
    r.bytes =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + r.bytes;
    return r;
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/");
    EXPECT_EQ(r.status_code(), 200);
    EXPECT_EQ(r.text(), "final");
  });
}

TEST_F(HttpClientTest, HeadResponseHasNoBody) {
  TestServer server([](const ReceivedRequest&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"};
  });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response a = co_await client->head("/");
    EXPECT_EQ(a.outcome(), Outcome::kOk) << a.error();
    EXPECT_EQ(a.text(), "");
    Response b = co_await client->head("/");  // the connection is still in sync
    EXPECT_EQ(b.outcome(), Outcome::kOk) << b.error();
  });
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, RequestNameAndHeaders) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "x"); });
  cfg.default_headers = {{"X-Default", "d"}, {"User-Agent", "overridden-by-request"}};
  use(server.base_url());
  run([&]() -> core::Task<> {
    const http::Header hs[] = {{"X-Trace", "t1"}, {"User-Agent", "custom-agent"}};
    RequestOptions o;
    o.name = "/item/[id]";
    o.headers = hs;
    co_await client->get("/item/42", o);
  });
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].name, "/item/[id]");
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.header("x-trace"), "t1");
  EXPECT_EQ(req.header("x-default"), "d");
  EXPECT_EQ(req.header("user-agent"), "custom-agent");
  EXPECT_EQ(req.head.find("loadgen/"), std::string::npos);  // the default agent is not sent too
}

// The fixed default fields go out as one pre-rendered block when the request has no headers of
// its own, and one by one otherwise: the same lines, in the same order, either way.
TEST_F(HttpClientTest, DefaultFieldsAreTheSameWithAndWithoutRequestHeaders) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "x"); });
  cfg.user_agent = "agent/1";
  use(server.base_url());
  run([&]() -> core::Task<> {
    co_await client->get("/a");
    const http::Header hs[] = {{"X-Own", "1"}};
    RequestOptions o;
    o.headers = hs;
    co_await client->get("/b", o);
    cfg.user_agent = "agent/2";  // rendered again for another agent
    co_await client->get("/c");
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  const std::string lines =
      "Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n";
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const std::string agent = i < 2 ? "agent/1" : "agent/2";
    EXPECT_NE(reqs[i].head.find("\r\nUser-Agent: " + agent + "\r\n" + lines), std::string::npos)
        << reqs[i].head;
    EXPECT_EQ(reqs[i].head.find("User-Agent", reqs[i].head.find("User-Agent") + 1),
              std::string::npos)
        << reqs[i].head;
  }
  EXPECT_EQ(reqs[1].header("x-own"), "1");
  EXPECT_EQ(reqs[0].header("x-own"), "");
}

TEST_F(HttpClientTest, PlainRequestsFollowTheirMethodTargetHostAndAgent) {
  // A plain request's request line, Host and default fields are rendered once and reused while
  // they stay the same: every change of method, target, host or agent must show on the wire.
  TestServer other([](const ReceivedRequest&) { return http_reply(200, "o"); });
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "s"); });
  cfg.user_agent = "agent/1";
  use(server.base_url());
  const std::string other_b = other.base_url() + "/b";
  run([&]() -> core::Task<> {
    co_await client->get("/a");
    co_await client->get("/a");
    co_await client->get("/b");
    co_await client->head("/b");
    co_await client->get(other_b);
    co_await client->get("/b");
    RequestOptions with_body;
    with_body.body = "x=1";
    co_await client->post("/b", with_body);  // not a plain request: written in full
    co_await client->get("/b");
    cfg.user_agent = "agent/2";
    co_await client->get("/b");
  });
  const std::string server_host = "127.0.0.1:" + std::to_string(server.port());
  const std::string other_host = "127.0.0.1:" + std::to_string(other.port());
  auto expected = [](std::string_view line, const std::string& host, std::string_view agent) {
    return std::string(line) + "\r\nHost: " + host + "\r\nUser-Agent: " + std::string(agent) +
           "\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n";
  };
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 8u);
  const std::string want[] = {
      expected("GET /a HTTP/1.1", server_host, "agent/1"),
      expected("GET /a HTTP/1.1", server_host, "agent/1"),
      expected("GET /b HTTP/1.1", server_host, "agent/1"),
      expected("HEAD /b HTTP/1.1", server_host, "agent/1"),
      expected("GET /b HTTP/1.1", server_host, "agent/1"),
      expected("POST /b HTTP/1.1", server_host, "agent/1") + "Content-Length: 3\r\n",
      expected("GET /b HTTP/1.1", server_host, "agent/1"),
      expected("GET /b HTTP/1.1", server_host, "agent/2"),
  };
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    // The received head may or may not hold the final empty line: nothing else may differ.
    EXPECT_EQ(reqs[i].head.substr(0, want[i].size()), want[i]) << i;
    EXPECT_LE(reqs[i].head.size(), want[i].size() + 2) << i << ": " << reqs[i].head;
  }
  EXPECT_EQ(reqs[5].body, "x=1");
  const auto others = other.requests();
  ASSERT_EQ(others.size(), 1u);
  const std::string want_other = expected("GET /b HTTP/1.1", other_host, "agent/1");
  EXPECT_EQ(others[0].head.substr(0, want_other.size()), want_other);
  EXPECT_LE(others[0].head.size(), want_other.size() + 2) << others[0].head;
}

TEST_F(HttpClientTest, BaseUrlPathIsAPrefix) {
  // Locust joins base_url + path.
  TestServer server([](const ReceivedRequest& r) { return http_reply(200, r.target); });
  use(server.base_url() + "/api/");
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/items?x=1");
    EXPECT_EQ(r.text(), "/api/items?x=1");
    EXPECT_EQ(r.url(), server.base_url() + "/api/items?x=1");
  });
}

TEST_F(HttpClientTest, RelativeUrlWithoutHostIsMalformed) {
  client = std::make_unique<HttpClient>(loop, cfg, &obs);
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/x");
    EXPECT_EQ(r.outcome(), Outcome::kMalformed);
    EXPECT_NE(r.error().find("--host"), std::string_view::npos) << r.error();
  });
}

TEST_F(HttpClientTest, CatchResponseFailureIsRecordedWhenTheResponseIsDestroyed) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "fine"); });
  use(server.base_url());
  run([&]() -> core::Task<> {
    RequestOptions o;
    o.catch_response = true;
    {
      Response r = co_await client->get("/c", o);
      EXPECT_EQ(r.outcome(), Outcome::kOk);
      EXPECT_TRUE(obs.records.empty());  // pending until the verdict
      r.failure("x");
      EXPECT_EQ(r.outcome(), Outcome::kCheckFailed);
      Response moved = std::move(r);  // moving does not report
      EXPECT_TRUE(obs.records.empty());
    }
    EXPECT_EQ(obs.records.size(), 1u);
  });
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].outcome, Outcome::kCheckFailed);
  EXPECT_EQ(obs.records[0].error, "check_failed: x");
  EXPECT_EQ(obs.records[0].name, "/c");
  EXPECT_EQ(obs.records[0].status, 200);
}

TEST_F(HttpClientTest, CatchResponseSuccessOverridesAnHttpError) {
  TestServer server([](const ReceivedRequest&) { return http_reply(404, "expected"); });
  use(server.base_url());
  run([&]() -> core::Task<> {
    RequestOptions o;
    o.catch_response = true;
    {
      Response r = co_await client->get("/a", o);
      r.success();
    }
    {
      Response r = co_await client->get("/b", o);  // no verdict: the status decides
    }
  });
  ASSERT_EQ(obs.records.size(), 2u);
  EXPECT_EQ(obs.records[0].outcome, Outcome::kOk);
  EXPECT_EQ(obs.records[0].error, "");
  EXPECT_EQ(obs.records[1].outcome, Outcome::kHttpStatus);
}

TEST_F(HttpClientTest, VerdictsWithoutCatchResponseAreIgnored) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "fine"); });
  use(server.base_url());
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/a");
    r.failure("ignored");
    EXPECT_EQ(r.outcome(), Outcome::kOk);
  });
  ASSERT_EQ(obs.records.size(), 1u);
  EXPECT_EQ(obs.records[0].outcome, Outcome::kOk);
}

TEST_F(HttpClientTest, CancelDuringARequestThrowsCancelled) {
  std::unique_ptr<TestServer> server;
  server = std::make_unique<TestServer>([&](const ReceivedRequest&) {
    // The request has arrived: cancel the client from its loop, then never answer.
    loop.post([&] { client->cancel(); });
    return Reply{"", Reply::After::kHang};
  });
  use(server->base_url());
  bool cancelled = false;
  bool later_cancelled = false;
  run([&]() -> core::Task<> {
    try {
      co_await client->get("/hang");
    } catch (const core::Cancelled&) {
      cancelled = true;
    }
    try {
      co_await client->get("/after");
    } catch (const core::Cancelled&) {
      later_cancelled = true;
    }
  });
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(later_cancelled);
  EXPECT_TRUE(client->cancelled());
  EXPECT_TRUE(obs.records.empty());  // a cancelled request is not recorded
}

// An observer slow to record an attempt (a span buffer growing, a preemption): its time is in
// neither the attempt's duration nor the request's.
class TimingObserver final : public RequestObserver {
 public:
  struct Times {
    std::int64_t start_wall_ns, end_wall_ns, duration_ns;
  };
  void on_attempt(const AttemptRecord& a) override {
    attempts.push_back({a.start_wall_ns, a.end_wall_ns, a.duration_ns});
    std::this_thread::sleep_for(5ms);
  }
  void on_request(const RequestRecord& r) override {
    requests.push_back({r.start_wall_ns, r.start_wall_ns + r.duration_ns, r.duration_ns});
  }
  std::vector<Times> attempts, requests;
};

TEST_F(HttpClientTest, AttemptsAndTheRequestShareOneTimeline) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/old") return http_reply(302, "", "Location: /new\r\n");
    return http_reply(200, "ok");
  });
  auto u = http::parse_url(server.base_url());
  ASSERT_TRUE(u.ok());
  cfg.set_base(*u);
  TimingObserver timing;
  client = std::make_unique<HttpClient>(loop, cfg, &timing);
  run([&]() -> core::Task<> {
    Response r = co_await client->get("/new");
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
    r = co_await client->get("/old");
    EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
  });
  ASSERT_EQ(timing.requests.size(), 2u);
  ASSERT_EQ(timing.attempts.size(), 3u);
  for (const auto& t : timing.attempts) EXPECT_EQ(t.end_wall_ns - t.start_wall_ns, t.duration_ns);
  // One attempt: its CLIENT span is exactly the request (what the stats count).
  const auto& one = timing.requests[0];
  EXPECT_EQ(timing.attempts[0].start_wall_ns, one.start_wall_ns);
  EXPECT_EQ(timing.attempts[0].duration_ns, one.duration_ns);
  // A redirect: the first hop starts with the request, the last ends it; the observer's time
  // between the hops is the request's, in no span.
  const auto& chain = timing.requests[1];
  EXPECT_EQ(timing.attempts[1].start_wall_ns, chain.start_wall_ns);
  EXPECT_GE(timing.attempts[2].start_wall_ns,
            timing.attempts[1].end_wall_ns + std::chrono::nanoseconds(5ms).count());
  EXPECT_EQ(timing.attempts[2].end_wall_ns, chain.end_wall_ns);
}

}  // namespace
}  // namespace loadgen::client
