// Tests for net/acceptor and net/connection: accept and echo on one loop, listen errors, and a
// read deadline that ends a wait on a silent peer.
#include "net/acceptor.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "loop_runner.hpp"
#include "net/connection.hpp"
#include "net/event_loop.hpp"

namespace loadgen::net {
namespace {

using namespace std::chrono_literals;
using testing::run_on_loop;

TEST(Acceptor, AcceptedConnectionEchoesToAClientConnection) {
  EventLoop loop;
  std::vector<std::unique_ptr<Connection>> accepted;
  Acceptor acceptor(loop, [&](std::unique_ptr<Connection> c) { accepted.push_back(std::move(c)); });
  auto port = acceptor.listen("127.0.0.1", 0);
  ASSERT_TRUE(port) << port.error().message;
  ASSERT_NE(*port, 0);
  EXPECT_EQ(acceptor.port(), *port);
  std::string got;
  Connection client(loop, "http", "127.0.0.1", *port);
  const bool done = run_on_loop(loop, [&]() -> core::Task<void> {
    const ConnectResult cr = co_await client.connect(core::mono_ns() + 2'000'000'000);
    EXPECT_EQ(cr.status, ConnectStatus::kOk) << cr.detail;
    IoResult w = co_await client.write_all("ping");
    EXPECT_FALSE(w.ec);
    Sleeper s;
    while (accepted.empty()) co_await loop.sleep(s, 5ms);
    Connection& server_side = *accepted.front();
    EXPECT_TRUE(server_side.is_open());
    while (server_side.rlen < 4) {
      const IoResult r = co_await server_side.read_more(1024);
      EXPECT_FALSE(r.ec);
      if (r.ec) co_return;
    }
    w = co_await server_side.write_all(std::string_view(server_side.rbuf.data(), 4));
    EXPECT_FALSE(w.ec);
    server_side.shutdown_send();
    for (;;) {
      const IoResult r = co_await client.read_more(1024);
      if (r.ec) {
        EXPECT_TRUE(is_eof(r.ec)) << r.ec.message();
        break;
      }
    }
    got.assign(client.rbuf.data(), client.rlen);
  });
  EXPECT_TRUE(done);
  EXPECT_EQ(got, "ping");
}

TEST(Acceptor, ListenOnAPortInUseFailsWithTheAddress) {
  EventLoop loop;
  Acceptor first(loop, [](std::unique_ptr<Connection>) {});
  auto port = first.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  Acceptor second(loop, [](std::unique_ptr<Connection>) {});
  auto again = second.listen("127.0.0.1", *port);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "listen_failed");
  EXPECT_NE(again.error().message.find("127.0.0.1:" + std::to_string(*port) + ": cannot listen"),
            std::string::npos)
      << again.error().message;
}

TEST(Acceptor, ReusePortLetsTwoAcceptorsShareAPort) {
  EventLoop loop;
  Acceptor a(loop, [](std::unique_ptr<Connection>) {});
  Acceptor b(loop, [](std::unique_ptr<Connection>) {});
  auto port = a.listen("127.0.0.1", 0, Acceptor::Options{.reuse_port = true});
  ASSERT_TRUE(port);
  auto same = b.listen("127.0.0.1", *port, Acceptor::Options{.reuse_port = true});
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(*same, *port);
}

TEST(Connection, ReadDeadlineEndsTheWaitOnASilentPeer) {
  EventLoop loop;
  std::vector<std::unique_ptr<Connection>> accepted;
  Acceptor acceptor(loop, [&](std::unique_ptr<Connection> c) { accepted.push_back(std::move(c)); });
  auto port = acceptor.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  Connection client(loop, "http", "127.0.0.1", *port);
  bool expired = false;
  std::int64_t waited_ns = 0;
  const bool done = run_on_loop(loop, [&]() -> core::Task<void> {
    const ConnectResult cr = co_await client.connect(core::mono_ns() + 2'000'000'000);
    EXPECT_EQ(cr.status, ConnectStatus::kOk);
    const std::int64_t t0 = core::mono_ns();
    client.arm_deadline(t0 + 100'000'000);
    const IoResult r = co_await client.read_more(1024);
    waited_ns = core::mono_ns() - t0;
    EXPECT_TRUE(r.ec);
    expired = client.deadline_expired();
    // Once expired, nothing new starts.
    const IoResult again = co_await client.read_more(1024);
    EXPECT_TRUE(is_timed_out(again.ec));
  });
  EXPECT_TRUE(done);
  EXPECT_TRUE(expired);
  EXPECT_GE(waited_ns, 100'000'000);
  EXPECT_LT(waited_ns, 2'000'000'000);
}

// A read's time is when the bytes reached this host (the kernel's receive time stamp), not
// when the loop got round to reading them: here the loop is busy for 30 ms after they came.
// (Linux turns stamping on for the host a moment after a first socket asks: a few tries.)
TEST(Connection, ReadTimeIsWhenTheBytesArrivedNotWhenTheyWereRead) {
  EventLoop loop;
  std::vector<std::unique_ptr<Connection>> accepted;
  Acceptor acceptor(loop, [&](std::unique_ptr<Connection> c) { accepted.push_back(std::move(c)); });
  auto port = acceptor.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  Connection client(loop, "http", "127.0.0.1", *port);
  std::int64_t sent = 0;
  std::int64_t read_done = 0;
  IoResult got;
  const bool done = run_on_loop(loop, [&]() -> core::Task<void> {
    const ConnectResult cr = co_await client.connect(core::mono_ns() + 2'000'000'000);
    EXPECT_EQ(cr.status, ConnectStatus::kOk);
    Sleeper s;
    while (accepted.empty()) co_await loop.sleep(s, 1ms);
    for (int tries = 0; tries < 5; ++tries) {
      client.rpos = client.rlen = 0;
      sent = core::mono_ns();
      EXPECT_FALSE((co_await accepted.front()->write_all("pong")).ec);
      std::this_thread::sleep_for(30ms);  // the loop is busy elsewhere
      got = co_await client.read_more(1024);
      read_done = core::mono_ns();
      if (got.ec || got.at_ns - sent < 10'000'000) break;
    }
  });
  EXPECT_TRUE(done);
  ASSERT_FALSE(got.ec) << got.ec.message();
  EXPECT_EQ(got.n, 4u);
  EXPECT_GE(got.at_ns, sent);
  EXPECT_LT(got.at_ns - sent, 10'000'000) << "the read's time is not the arrival";
  EXPECT_GE(read_done - sent, 30'000'000);
}

TEST(Connection, ConnectToAClosedPortIsRefused) {
  EventLoop loop;
  std::uint16_t port = 0;
  {
    Acceptor probe(loop, [](std::unique_ptr<Connection>) {});
    port = *probe.listen("127.0.0.1", 0);
  }
  Connection client(loop, "http", "127.0.0.1", port);
  ConnectStatus status = ConnectStatus::kOk;
  run_on_loop(loop, [&]() -> core::Task<void> {
    status = (co_await client.connect(core::mono_ns() + 2'000'000'000)).status;
  });
  EXPECT_EQ(status, ConnectStatus::kRefused);
}

}  // namespace
}  // namespace loadgen::net
