// Tests for the per-thread buffer pool: what it keeps is bounded in count and bytes, and it
// keeps nothing for strings that own no heap memory (small or moved-from strings).
#include "client/string_pool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace loadgen::client {
namespace {

TEST(StringPool, KeepsGrownBuffersForReuse) {
  StringPool pool;
  std::string s(1000, 'x');
  const auto cap = s.capacity();
  pool.give(std::move(s));
  EXPECT_EQ(pool.pooled(), 1u);
  EXPECT_EQ(pool.pooled_bytes(), cap);
  std::string again = pool.take();
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.capacity(), cap);
  EXPECT_EQ(pool.pooled_bytes(), 0u);
}

TEST(StringPool, SmallAndMovedFromStringsAreNotKept) {
  StringPool pool;
  pool.give(std::string("short"));
  std::string big(100, 'x');
  std::string moved = std::move(big);
  pool.give(std::move(big));  // NOLINT(bugprone-use-after-move): the moved-from case
  EXPECT_EQ(pool.pooled(), 0u);
}

TEST(StringPool, BytesAreBounded) {
  StringPool pool;
  // Many large (but individually poolable) buffers, as an exporter's requests leave behind.
  for (int i = 0; i < 1000; ++i) pool.give(std::string(60 * 1024, 'x'));
  EXPECT_LE(pool.pooled_bytes(), StringPool::kMaxPooledBytes);
  EXPECT_GT(pool.pooled(), 0u);
  pool.give(std::string(StringPool::kMaxCapacity + 1, 'x'));  // too large to keep at all
  EXPECT_LE(pool.pooled_bytes(), StringPool::kMaxPooledBytes);
}

TEST(StringPool, CountIsBounded) {
  StringPool pool;
  for (std::size_t i = 0; i < StringPool::kMaxPooled + 100; ++i) pool.give(std::string(64, 'x'));
  EXPECT_EQ(pool.pooled(), StringPool::kMaxPooled);
}

}  // namespace
}  // namespace loadgen::client
