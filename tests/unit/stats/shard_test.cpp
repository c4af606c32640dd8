// Shard: recording, delta snapshots, name folding beyond max_names.
#include "stats/shard.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::stats {
namespace {

const Entry* find(const Snapshot& s, std::string_view method, std::string_view name) {
  for (const Entry& e : s.entries) {
    if (e.method == method && e.name == name) return &e;
  }
  return nullptr;
}

TEST(Shard, RecordsSuccessesAndFailures) {
  Shard shard;
  shard.record("GET", "/", 1000, 10, "", 100.1);
  shard.record("GET", "/", 2000, 10, "HTTPError('500')", 100.2);
  shard.record("POST", "/cart", 5000, 0, "", 100.3);
  Snapshot s = shard.take();
  ASSERT_EQ(s.entries.size(), 2u);
  const Entry* get = find(s, "GET", "/");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->num_requests, 2u);
  EXPECT_EQ(get->num_failures, 1u);
  EXPECT_EQ(get->fails_per_sec.at(100), 1u);
  EXPECT_EQ(get->histogram.count(), 2u);
  EXPECT_DOUBLE_EQ(get->start_time, 100.1);
  EXPECT_EQ(s.errors.total(), 1u);
  EXPECT_EQ(s.errors.rows().at(0).error, "HTTPError('500')");
}

TEST(Shard, TakeLeavesItEmptyAndOnlyShipsActiveEntries) {
  Shard shard;
  shard.record("GET", "/a", 1, 0, "x", 1.0);
  shard.record("GET", "/b", 1, 0, "", 1.0);
  (void)shard.take();
  Snapshot empty = shard.take();
  EXPECT_TRUE(empty.entries.empty());
  EXPECT_TRUE(empty.errors.empty());
  shard.record("GET", "/b", 7, 0, "", 2.5);
  Snapshot s = shard.take();
  ASSERT_EQ(s.entries.size(), 1u);
  EXPECT_EQ(s.entries[0].name, "/b");
  EXPECT_EQ(s.entries[0].num_requests, 1u);
  EXPECT_EQ(s.entries[0].min_response_time_us, 7u);
  EXPECT_DOUBLE_EQ(s.entries[0].start_time, 2.5);
  EXPECT_EQ(s.entries[0].reqs_per_sec.at(1), 0u);
  EXPECT_EQ(shard.name_count(), 2u);
}

TEST(Shard, FoldsNamesBeyondMaxNames) {
  Shard shard(3);
  for (int i = 0; i < 10; ++i) {
    shard.record("GET", "/p" + std::to_string(i), 100, 0, i == 7 ? "boom" : "", 1.0);
  }
  shard.record("POST", "/p9", 100, 0, "", 1.0);
  shard.record("GET", "/p1", 100, 0, "", 1.0);  // a name seen before the cap still counts
  Snapshot s = shard.take();
  EXPECT_EQ(s.entries.size(), 5u);  // /p0 /p1 /p2, GET (other), POST (other)
  const Entry* other = find(s, "GET", Shard::kOverflowName);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->num_requests, 7u);
  EXPECT_EQ(other->num_failures, 1u);
  ASSERT_NE(find(s, "POST", Shard::kOverflowName), nullptr);
  EXPECT_EQ(find(s, "GET", "/p1")->num_requests, 2u);
  EXPECT_EQ(find(s, "GET", "/p5"), nullptr);
  auto rows = s.errors.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, Shard::kOverflowName);
}

// entry_for() compares with the entry it found last before it hashes: a repeated name, the same
// name under another method and alternating names each still count in their own entry.
TEST(Shard, RepeatedAndAlternatingNamesKeepTheirEntries) {
  Shard shard(2);
  shard.record("GET", "/a", 1, 0, "", 1.0);
  shard.record("GET", "/a", 2, 0, "", 1.0);
  shard.record("POST", "/a", 3, 0, "", 1.0);  // same name as the last one, another method
  shard.record("GET", "/b", 4, 0, "", 1.0);   // beyond the cap: (other)
  shard.record("GET", "/b", 5, 0, "", 1.0);
  shard.record("GET", "/a", 6, 0, "", 1.0);
  Snapshot s = shard.take();
  ASSERT_EQ(s.entries.size(), 3u);
  EXPECT_EQ(find(s, "GET", "/a")->num_requests, 3u);
  EXPECT_EQ(find(s, "POST", "/a")->num_requests, 1u);
  EXPECT_EQ(find(s, "GET", Shard::kOverflowName)->num_requests, 2u);
  EXPECT_EQ(find(s, "GET", "/b"), nullptr);
}

}  // namespace
}  // namespace loadgen::stats
