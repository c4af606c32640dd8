// ErrorTable: counting, ordering, merge and the cardinality bound.
#include "stats/errors.hpp"

#include <gtest/gtest.h>

#include <string>

namespace loadgen::stats {
namespace {

TEST(ErrorTable, CountsByMethodNameError) {
  ErrorTable t;
  EXPECT_TRUE(t.empty());
  t.add("GET", "/a", "HTTPError('500')");
  t.add("GET", "/a", "HTTPError('500')", 2);
  t.add("POST", "/a", "HTTPError('500')");
  t.add("GET", "/b", "timeout", 5);
  t.add("GET", "/b", "ignored", 0);
  EXPECT_EQ(t.total(), 9u);
  EXPECT_EQ(t.size(), 3u);
  auto rows = t.rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].name, "/b");
  EXPECT_EQ(rows[0].occurrences, 5u);
  EXPECT_EQ(rows[1].method, "GET");
  EXPECT_EQ(rows[1].occurrences, 3u);
  EXPECT_EQ(rows[2].method, "POST");
  EXPECT_EQ(rows[2].error, "HTTPError('500')");
}

TEST(ErrorTable, MergeAddsOccurrences) {
  ErrorTable a, b;
  a.add("GET", "/", "e1");
  b.add("GET", "/", "e1", 4);
  b.add("GET", "/", "e2");
  a.merge(b);
  EXPECT_EQ(a.total(), 6u);
  auto rows = a.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].error, "e1");
  EXPECT_EQ(rows[0].occurrences, 5u);
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.total(), 0u);
}

TEST(ErrorTable, FoldsBeyondMaxRows) {
  ErrorTable t;
  for (std::size_t i = 0; i < ErrorTable::kMaxRows; ++i) {
    t.add("GET", "/n", "error " + std::to_string(i));
  }
  EXPECT_EQ(t.size(), ErrorTable::kMaxRows);
  t.add("GET", "/n", "error 5", 2);  // known keys still count
  t.add("GET", "/n", "new one");
  t.add("GET", "/n", "another new one");
  t.add("POST", "/m", "new");
  EXPECT_EQ(t.size(), ErrorTable::kMaxRows + 2);
  EXPECT_EQ(t.total(), ErrorTable::kMaxRows + 5);
  auto rows = t.rows();
  EXPECT_EQ(rows[0].error, "error 5");
  EXPECT_EQ(rows[0].occurrences, 3u);
  EXPECT_EQ(rows[1].error, ErrorTable::kOverflowError);
  EXPECT_EQ(rows[1].occurrences, 2u);
  EXPECT_EQ(rows[1].name, "/n");
  for (int i = 0; i < 100; ++i) t.add("GET", "/x" + std::to_string(i % 3), std::to_string(i));
  EXPECT_EQ(t.size(), ErrorTable::kMaxRows + 5);  // one overflow row per (method, name)
}

}  // namespace
}  // namespace loadgen::stats
