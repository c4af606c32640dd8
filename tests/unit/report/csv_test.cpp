// CSV contents against Locust 2.12.1's own StatsCSV output (make_golden.py), quoting, files.
#include "report/csv.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario.hpp"

namespace loadgen::report {
namespace {

using testing::read_golden;
using testing::scenario;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Csv, StatsMatchLocust) { EXPECT_EQ(format_stats_csv(scenario()), read_golden("stats.csv")); }

TEST(Csv, FailuresMatchLocust) {
  EXPECT_EQ(format_failures_csv(scenario()), read_golden("failures.csv"));
}

TEST(Csv, HistoryMatchesLocust) {
  EXPECT_EQ(stats_history_csv_header() + format_stats_history_rows(scenario(), 42, 1016.4, false),
            read_golden("stats_history.csv"));
}

TEST(Csv, HistoryOfAnArrivalRateRunEndsWithDroppedIterations) {
  const std::string header = stats_history_csv_header(true);
  EXPECT_EQ(header.rfind("Total Average Content Size,Dropped Iterations\r\n"), header.size() - 47);
  const std::string rows = format_stats_history_rows(scenario(), 42, 1016.4, true, 7);
  std::size_t lines = 0;
  for (std::size_t at = rows.find("\r\n"); at != std::string::npos;
       at = rows.find("\r\n", at + 2), ++lines) {
    EXPECT_EQ(rows.substr(at - 2, 2), ",7") << rows;
  }
  EXPECT_EQ(lines, scenario().entries().size() + 1);
  // The closed model's file is Locust's (HistoryMatchesLocust).
  EXPECT_EQ(stats_history_csv_header(false), stats_history_csv_header());
}

TEST(Csv, FullHistoryRowsUseTheCurrentPercentiles) {
  // Locust 2.12 _stats_history_data_rows: use_current=full_history on every row.
  stats::Aggregate a(1000.0);
  for (int s = 1000; s < 1030; ++s) {
    stats::Shard shard;
    for (int i = 0; i < 10; ++i) {
      shard.record("GET", "/a", s < 1015 ? 200'000 : 20'000, 0, "", s + 0.05 * i);
    }
    a.merge(shard.take());
  }
  const std::string full = format_stats_history_rows(a, 1, 1030.3, true);
  const std::string recent = "20,20,20,20,20,20,20,20,20,20,20,300,0,";
  EXPECT_NE(full.find("GET,/a,"), std::string::npos) << full;
  EXPECT_NE(full.find(recent), full.rfind(recent)) << full;  // the entry's row and Aggregated
  const std::string total_only = format_stats_history_rows(a, 1, 1030.3, false);
  EXPECT_EQ(total_only.find(recent), std::string::npos) << total_only;
  EXPECT_NE(total_only.find(",200,200,200,200,200,200,300,0,"), std::string::npos) << total_only;
}

TEST(Csv, FieldQuotingPerRfc4180) {
  EXPECT_EQ(csv_field("plain text"), "plain text");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_row({"a", "b,c", ""}), "a,\"b,c\",\r\n");
}

TEST(Csv, NoRequestsGivesNotAvailablePercentiles) {
  stats::Aggregate a(5.0);
  const std::string csv = format_stats_csv(a);
  EXPECT_NE(csv.find("\r\n,Aggregated,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,"
                     "N/A,N/A,N/A\r\n"),
            std::string::npos)
      << csv;
  EXPECT_EQ(format_exceptions_csv(), "Count,Message,Traceback,Nodes\r\n");
}

TEST(Csv, SubMillisecondValuesKeepTheirDigits) {
  stats::Aggregate a(1.0);
  stats::Shard shard;
  shard.record("GET", "/", 1'250, 3, "", 2.0);
  shard.record("GET", "/", 1'750, 3, "", 3.0);
  a.merge(shard.take());
  const std::string csv = format_stats_csv(a);
  EXPECT_NE(csv.find("GET,/,2,0,1,1.5,1.25,1.75,3.0,1.0,0.0,2,2,2,2,2,2,2,2,2,2,2\r\n"),
            std::string::npos)
      << csv;
}

TEST(Csv, WriterWritesFilesAndAppendsHistory) {
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("loadgen_csv_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  const std::string prefix = (dir / "run").string();
  CsvWriter w(prefix, /*full_history=*/true);
  const stats::Aggregate a = scenario();
  ASSERT_TRUE(w.write_all(a).ok());
  EXPECT_EQ(slurp(prefix + "_stats.csv"), read_golden("stats.csv"));
  EXPECT_EQ(slurp(prefix + "_failures.csv"), read_golden("failures.csv"));
  EXPECT_EQ(slurp(prefix + "_exceptions.csv"), "Count,Message,Traceback,Nodes\r\n");
  EXPECT_FALSE(std::filesystem::exists(prefix + "_stats.csv.tmp"));
  ASSERT_TRUE(w.append_history(a, 3, 1016.0).ok());
  ASSERT_TRUE(w.append_history(a, 4, 1017.0).ok());
  const std::string history = slurp(prefix + "_stats_history.csv");
  EXPECT_EQ(history.rfind(stats_history_csv_header(), 0), 0u);
  // Two ticks of 4 entries + Aggregated each, after the header.
  EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 1 + 2 * 5);
  EXPECT_NE(history.find("\r\n1017,4,GET,/,"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Csv, WriterReportsUnwritablePrefix) {
  CsvWriter w("/nonexistent-dir/for/sure/run", false);
  auto s = w.write_stats(stats::Aggregate(1.0));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "csv_write_failed");
  EXPECT_NE(s.error().message.find("/nonexistent-dir/for/sure/run_stats.csv"), std::string::npos);
  EXPECT_FALSE(w.append_history(stats::Aggregate(1.0), 0, 2.0).ok());
}

}  // namespace
}  // namespace loadgen::report
