// Tests for the per-thread pool of Response buffers: a block comes back cleared with the
// capacity it had, a string grown past kMaxCapacity goes back to the heap, and what the pool
// keeps is bounded in count and bytes.
#include "client/response_pool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loadgen::client {
namespace {

TEST(ResponseBuffersPool, ABlockComesBackClearedWithItsCapacity) {
  ResponseBuffersPool pool;
  auto* b = pool.take();  // the type is Response's own (private) name: reached through auto
  b->url.assign(300, 'u');
  b->head.assign(500, 'h');
  b->request.assign(200, 'r');
  b->error.assign(100, 'e');
  const auto head_cap = b->head.capacity();
  pool.give(b);
  EXPECT_EQ(pool.pooled(), 1u);
  EXPECT_GE(pool.pooled_bytes(), 1100u);
  auto* again = pool.take();
  EXPECT_EQ(again, b);
  EXPECT_TRUE(again->url.empty() && again->head.empty() && again->request.empty() &&
              again->error.empty() && again->body.empty() && again->name.empty());
  EXPECT_EQ(again->head.capacity(), head_cap);
  EXPECT_EQ(pool.pooled_bytes(), 0u);
  pool.give(again);
}

TEST(ResponseBuffersPool, AStringGrownPastTheCapIsFreed) {
  ResponseBuffersPool pool;
  auto* b = pool.take();
  b->body.assign(ResponseBuffersPool::kMaxCapacity + 1, 'x');  // a big kept body
  b->head.assign(400, 'h');
  pool.give(b);
  ASSERT_EQ(pool.pooled(), 1u);
  auto* again = pool.take();
  EXPECT_LE(again->body.capacity(), std::string().capacity());
  EXPECT_GE(again->head.capacity(), 400u);
  pool.give(again);
  EXPECT_LE(pool.pooled_bytes(), ResponseBuffersPool::kMaxCapacity);
}

TEST(ResponseBuffersPool, BytesAndCountAreBounded) {
  ResponseBuffersPool pool;
  // Many blocks at once (as many requests in flight), each with large poolable strings.
  std::vector<decltype(pool.take())> blocks;
  for (std::size_t i = 0; i < ResponseBuffersPool::kMaxPooled + 100; ++i) {
    blocks.push_back(pool.take());
    blocks.back()->body.assign(i < 200 ? 60 * 1024 : 64, 'x');
  }
  for (auto* b : blocks) pool.give(b);
  EXPECT_LE(pool.pooled_bytes(), ResponseBuffersPool::kMaxPooledBytes);
  EXPECT_LE(pool.pooled(), ResponseBuffersPool::kMaxPooled);
  EXPECT_GT(pool.pooled(), 0u);
}

}  // namespace
}  // namespace loadgen::client
