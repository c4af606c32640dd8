// Console tables against golden output of Locust 2.12.1's own stats.py (make_golden.py).
#include "report/console.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace loadgen::report {
namespace {

using testing::read_golden;
using testing::scenario;

TEST(Console, StatsTableCurrentMatchesLocust) {
  EXPECT_EQ(format_stats_table(scenario()), read_golden("stats_current.txt"));
}

TEST(Console, StatsTableTotalMatchesLocust) {
  EXPECT_EQ(format_stats_table(scenario(), /*current=*/false), read_golden("stats_total.txt"));
}

TEST(Console, PercentilesMatchLocust) {
  EXPECT_EQ(format_percentiles_table(scenario()), read_golden("percentiles.txt"));
}

TEST(Console, ErrorReportMatchesLocust) {
  EXPECT_EQ(format_error_report(scenario()), read_golden("errors.txt"));
}

TEST(Console, EmptyAggregate) {
  stats::Aggregate a(10.0);
  const std::string table = format_stats_table(a);
  EXPECT_NE(table.find("         Aggregated "), std::string::npos);
  EXPECT_NE(
      table.find("      0     0(0.00%) |      0       0       0      0 |    0.00        0.00"),
      std::string::npos);
  const std::string pct = format_percentiles_table(a);
  EXPECT_EQ(std::count(pct.begin(), pct.end(), '\n'), 5);  // title, header, 2 separators, blank
  EXPECT_EQ(format_error_report(a), "");
}

TEST(Console, NameWidthForTerminal) {
  EXPECT_EQ(stats_name_width_for_terminal(200), 80);
  EXPECT_EQ(stats_name_width_for_terminal(120), 40);
  EXPECT_EQ(stats_name_width_for_terminal(60), 0);
  const std::string narrow = format_stats_table(testing::scenario(), true, 40);
  EXPECT_EQ(narrow.substr(0, narrow.find('\n')),
            "Type     Name                                  # reqs      # fails |    Avg     Min "
            "    Max    Med |   req/s  failures/s");
}

}  // namespace
}  // namespace loadgen::report
