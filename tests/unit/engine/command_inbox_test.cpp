// Tests for engine/command_inbox: commands posted from many threads arrive, each poster's in
// the order it posted them, none lost; wait() wakes on a post and times out without one.
#include "engine/command_inbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace loadgen::engine {
namespace {

using namespace std::chrono_literals;

TEST(CommandInbox, ManyPostersNothingLostEachInOrder) {
  constexpr int kPosters = 4;
  constexpr int kEach = 20000;
  CommandInbox inbox;
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&inbox, p] {
      for (int i = 0; i < kEach; ++i) {
        inbox.post(Command{Command::Kind::kSetUsers, std::int64_t{p} * kEach + i, 1.0});
      }
    });
  }
  std::vector<std::int64_t> last(kPosters, -1);
  int taken = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (taken < kPosters * kEach && std::chrono::steady_clock::now() < deadline) {
    inbox.wait(10ms);
    for (const Command& c : inbox.take()) {
      const auto p = static_cast<std::size_t>(c.users / kEach);
      ASSERT_LT(p, last.size());
      ASSERT_GT(c.users, last[p]) << "poster " << p << " reordered";
      last[p] = c.users;
      ++taken;
    }
  }
  for (auto& t : posters) t.join();
  EXPECT_EQ(taken, kPosters * kEach);
  EXPECT_TRUE(inbox.take().empty());
}

TEST(CommandInbox, WaitWakesOnAPostAndTimesOutWithoutOne) {
  CommandInbox inbox;
  EXPECT_FALSE(inbox.wait(1ms));
  std::thread poster([&inbox] { inbox.post(Command{Command::Kind::kStop}); });
  EXPECT_TRUE(inbox.wait(10s));
  poster.join();
  const auto got = inbox.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, Command::Kind::kStop);
}

}  // namespace
}  // namespace loadgen::engine
