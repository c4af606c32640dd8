// Connection hand-back (HttpClient::park, net::ConnectionPool): a parked user's keep-alive
// connection serves another user of the same loop; one closed by the server while pooled is
// replaced and counted, without failing the request; a pooled connection is never lent to two
// users at once; cookies stay with their user; the pool's bound holds.
#include "net/connection_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.hpp"
#include "client/request_observer.hpp"
#include "core/clock.hpp"
#include "core/task.hpp"
#include "http/url.hpp"
#include "loop_runner.hpp"
#include "net/event_loop.hpp"
#include "test_server.hpp"

namespace loadgen::client {
namespace {

using testing::http_reply;
using testing::ReceivedRequest;
using testing::Reply;
using testing::run_on_loop;
using testing::TestServer;

class NullObserver final : public RequestObserver {
 public:
  void on_request(const RequestRecord&) override {}
};

// Answers after 5 ms: requests sent at once overlap.
Reply slow_ok(const ReceivedRequest&) {
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return http_reply(200, "ok");
}

// One loop, one config, several users' clients on it.
class ConnectionPoolTest : public ::testing::Test {
 protected:
  void use(const std::string& base, int users) {
    auto u = http::parse_url(base);
    ASSERT_TRUE(u.ok()) << base;
    cfg.set_base(*u);
    for (int i = 0; i < users; ++i)
      clients.push_back(std::make_unique<HttpClient>(loop, cfg, &obs));
  }
  template <class MakeTask>
  void run(MakeTask&& make) {
    ASSERT_TRUE(run_on_loop(loop, std::forward<MakeTask>(make))) << "the test coroutine hung";
  }
  HttpClient& user(int i) { return *clients[static_cast<std::size_t>(i)]; }
  // Users 0 to n-1 each send GET /u<i> at once (overlapping: with a server slower than the
  // loop, each on a connection of its own); returns when all are answered.
  core::Task<> all_at_once(int n) {
    int done = 0;
    for (int i = 0; i < n; ++i) {
      core::spawn(
          [](HttpClient& c, int& k, std::string target) -> core::Task<> {
            co_await c.get(target);
            ++k;
          }(user(i), done, "/u" + std::to_string(i)),
          [](std::exception_ptr) {});
    }
    net::Sleeper s;
    for (int k = 0; k < 500 && done < n; ++k) co_await loop.sleep(s, std::chrono::milliseconds(5));
    EXPECT_EQ(done, n);
  }
  net::ConnectionStats stats() const { return loop.connection_stats(); }

  net::EventLoop loop;
  ClientConfig cfg;
  NullObserver obs;
  std::vector<std::unique_ptr<HttpClient>> clients;  // destroyed before the loop
};

TEST_F(ConnectionPoolTest, AParkedUsersConnectionServesTheNextUser) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "ok"); });
  use(server.base_url(), 3);
  run([&]() -> core::Task<> {
    for (int i = 0; i < 3; ++i) {
      Response r = co_await user(i).get("/");
      EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
      user(i).park();
    }
  });
  EXPECT_EQ(server.connections(), 1);
  const auto s = stats();
  EXPECT_EQ(s.opened, 1u);
  EXPECT_EQ(s.returned, 3u);
  EXPECT_EQ(s.taken, 2u);
  EXPECT_EQ(s.reused, 2u);  // the 2nd and 3rd requests went on the 1st user's connection
  EXPECT_EQ(s.replaced, 0u);
  EXPECT_EQ(s.open, 1u);
  EXPECT_EQ(s.pooled, 1u);
  EXPECT_EQ(loop.connection_pool().size(), 1u);
}

TEST_F(ConnectionPoolTest, ShortWaitKeepsTheConnection) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "ok"); });
  cfg.park_after = std::chrono::seconds(1);
  use(server.base_url(), 1);
  run([&]() -> core::Task<> {
    co_await user(0).get("/");
    user(0).park_for(std::chrono::milliseconds(10));  // below the threshold: kept
    co_await user(0).get("/");
  });
  EXPECT_EQ(stats().returned, 0u);
  EXPECT_EQ(stats().taken, 0u);
  EXPECT_EQ(stats().reused, 1u);
  EXPECT_EQ(loop.connection_pool().size(), 0u);
}

TEST_F(ConnectionPoolTest, PooledConnectionClosedByTheServerIsReplacedAndCounted) {
  // Looks keep-alive (HTTP/1.1, no Connection: close), but the server closes it afterwards.
  TestServer server(
      [](const ReceivedRequest&) { return http_reply(200, "once", {}, Reply::After::kClose); });
  use(server.base_url(), 2);
  run([&]() -> core::Task<> {
    Response a = co_await user(0).get("/1");
    EXPECT_EQ(a.outcome(), Outcome::kOk) << a.error();
    user(0).park();
    // Closed while pooled (blocking the loop thread is fine: nothing else runs on it).
    EXPECT_TRUE(server.wait_for([&] { return server.closed_connections() == 1; }));
    Response b = co_await user(1).get("/2");
    EXPECT_EQ(b.outcome(), Outcome::kOk) << b.error();
    EXPECT_EQ(b.text(), "once");
  });
  EXPECT_EQ(server.connections(), 2);
  const auto s = stats();
  EXPECT_EQ(s.replaced, 1u);
  EXPECT_EQ(s.taken, 0u);  // the closed one was never lent
  EXPECT_EQ(s.opened, 2u);
  EXPECT_EQ(s.reused, 0u);  // no request was sent on the dead connection (no retry needed)
}

TEST_F(ConnectionPoolTest, APooledConnectionIsNeverLentToTwoUsersAtOnce) {
  // Slow replies: the two users' requests overlap.
  TestServer server([](const ReceivedRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return http_reply(200, "ok");
  });
  use(server.base_url(), 3);
  run([&]() -> core::Task<> {
    co_await user(0).get("/warm");
    user(0).park();  // one connection in the pool
    int done = 0;
    for (int i = 1; i <= 2; ++i) {
      core::spawn(
          [](HttpClient& c, int& n) -> core::Task<> {
            Response r = co_await c.get("/both");
            EXPECT_EQ(r.outcome(), Outcome::kOk) << r.error();
            ++n;
          }(user(i), done),
          [](std::exception_ptr) {});
    }
    net::Sleeper s;
    for (int k = 0; k < 500 && done < 2; ++k) co_await loop.sleep(s, std::chrono::milliseconds(5));
    EXPECT_EQ(done, 2);
  });
  // One user got the pooled connection, the other opened its own.
  EXPECT_EQ(server.connections(), 2);
  std::set<int> conns;
  for (const auto& r : server.requests()) {
    if (r.target == "/both") conns.insert(r.connection);
  }
  EXPECT_EQ(conns.size(), 2u);
  EXPECT_EQ(stats().taken, 1u);
  EXPECT_EQ(stats().opened, 2u);
}

TEST_F(ConnectionPoolTest, CookiesStayWithTheirUserOnASharedConnection) {
  TestServer server([](const ReceivedRequest& r) {
    if (r.target == "/login") return http_reply(200, "in", "Set-Cookie: sid=u0; Path=/\r\n");
    return http_reply(200, "page");
  });
  use(server.base_url(), 2);
  run([&]() -> core::Task<> {
    co_await user(0).get("/login");
    user(0).park();
    co_await user(1).get("/home");  // on user 0's former connection
    user(1).park();
    co_await user(0).get("/home");
  });
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(reqs[1].header("cookie"), "");
  EXPECT_EQ(reqs[2].header("cookie"), "sid=u0");
  EXPECT_EQ(user(0).cookies().get("sid"), "u0");
  EXPECT_EQ(user(1).cookies().size(), 0u);
}

TEST_F(ConnectionPoolTest, ThePoolBoundHolds) {
  TestServer server(slow_ok);
  loop.connection_pool().set_capacity(2);
  use(server.base_url(), 4);
  run([&]() -> core::Task<> {
    // Four users with a connection each, then all four park.
    co_await all_at_once(4);
    for (int i = 0; i < 4; ++i) user(i).park();
  });
  EXPECT_EQ(server.connections(), 4);
  EXPECT_EQ(loop.connection_pool().size(), 2u);
  const auto s = stats();
  EXPECT_EQ(s.pooled, 2u);
  EXPECT_EQ(s.open, 2u);  // the two beyond the bound were closed
  EXPECT_TRUE(server.wait_for([&] { return server.closed_connections() == 2; }));
}

TEST_F(ConnectionPoolTest, AFullPoolClosesTheOldestAndLendsTheNewestFirst) {
  TestServer server(slow_ok);
  loop.connection_pool().set_capacity(2);
  use(server.base_url(), 3);
  run([&]() -> core::Task<> {
    co_await all_at_once(3);  // a connection each
    // Handed back in order 0, 1, 2: the third finds the pool full and closes user 0's.
    for (int i = 0; i < 3; ++i) user(i).park();
    co_await user(0).get("/a");  // the newest: user 2's
    co_await user(1).get("/b");  // then user 1's
    co_await user(2).get("/c");  // the pool is empty: a new one
  });
  auto conn = [&](const std::string& target) {
    for (const auto& r : server.requests()) {
      if (r.target == target) return r.connection;
    }
    ADD_FAILURE() << "no request " << target;
    return -1;
  };
  const std::set<int> first{conn("/u0"), conn("/u1"), conn("/u2")};
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(conn("/a"), conn("/u2"));
  EXPECT_EQ(conn("/b"), conn("/u1"));
  EXPECT_EQ(first.count(conn("/c")), 0u);
  EXPECT_EQ(server.connections(), 4);
  const auto s = stats();
  EXPECT_EQ(s.returned, 3u);  // user 2's too: it took the place of user 0's
  EXPECT_EQ(s.taken, 2u);
  EXPECT_EQ(s.replaced, 0u);
  EXPECT_EQ(s.pooled, 0u);
  EXPECT_EQ(s.open, 3u);  // user 0's first connection was closed
  EXPECT_TRUE(server.wait_for([&] { return server.closed_connections() == 1; }));
}

TEST_F(ConnectionPoolTest, IdleConnectionsExpire) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "ok"); });
  use(server.base_url(), 1);
  run([&]() -> core::Task<> {
    co_await user(0).get("/");
    user(0).park();
  });
  ASSERT_EQ(loop.connection_pool().size(), 1u);
  loop.connection_pool().expire(core::mono_ns());  // not idle long enough yet
  EXPECT_EQ(loop.connection_pool().size(), 1u);
  loop.connection_pool().expire(core::mono_ns() + net::ConnectionPool::kMaxIdleNs + 1);
  EXPECT_EQ(loop.connection_pool().size(), 0u);
  EXPECT_EQ(stats().open, 0u);
  EXPECT_EQ(stats().pooled, 0u);
  EXPECT_TRUE(server.wait_for([&] { return server.closed_connections() == 1; }));
}

TEST_F(ConnectionPoolTest, NoPoolClosesOnPark) {
  TestServer server([](const ReceivedRequest&) { return http_reply(200, "ok"); });
  loop.connection_pool().set_capacity(0);
  use(server.base_url(), 2);
  run([&]() -> core::Task<> {
    co_await user(0).get("/");
    user(0).park();
    co_await user(1).get("/");
    user(1).park();
  });
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(stats().open, 0u);
  EXPECT_EQ(stats().returned, 0u);
}

}  // namespace
}  // namespace loadgen::client
