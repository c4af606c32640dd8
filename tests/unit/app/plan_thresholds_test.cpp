// The run's thresholds: a scenario file's (origin file:line:col, abort_on_fail) and the
// options' add up; an invalid file threshold is a problem naming its origin (exit 2).
#include <gtest/gtest.h>

#include "app/run_plan.hpp"

namespace loadgen::app {
namespace {

TEST(PlanThresholds, FileThresholdsThenOptionsAddUp) {
  scenario::Scenario sc;
  sc.source_file = "plan.yaml";
  sc.thresholds = {{"p95<300ms", false, "plan.yaml:12:5"},
                   {"GET /api/cart:failure_ratio<0.01", true, "plan.yaml:13:5"},
                   {"rps>1!abort=2s", false, ""}};
  Options o;
  o.thresholds = {"p99<1s", "count>0"};
  o.thresholds_origin = "--threshold";
  std::vector<std::string> problems;
  const auto ts = plan_thresholds(o, sc, problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(ts.size(), 5u);
  EXPECT_EQ(ts[0].origin, "plan.yaml:12:5");
  EXPECT_FALSE(ts[0].abort_on_fail);
  EXPECT_EQ(ts[1].name, "GET /api/cart");
  EXPECT_TRUE(ts[1].abort_on_fail);  // the file's abort_on_fail
  EXPECT_DOUBLE_EQ(ts[1].abort_grace_s, stats::Threshold::kDefaultAbortGraceS);
  EXPECT_EQ(ts[2].origin, "plan.yaml");  // no position given: the file
  EXPECT_TRUE(ts[2].abort_on_fail);      // the !abort suffix
  EXPECT_DOUBLE_EQ(ts[2].abort_grace_s, 2);
  EXPECT_EQ(ts[3].expression, "p99<1s");
  EXPECT_EQ(ts[3].origin, "--threshold");
  EXPECT_EQ(ts[4].expression, "count>0");
}

TEST(PlanThresholds, InvalidFileThresholdsNameTheirOrigin) {
  scenario::Scenario sc;
  sc.thresholds = {{"latency<3", false, "plan.yaml:12:5"}, {"p95<1h", false, "plan.yaml:14:5"}};
  std::vector<std::string> problems;
  EXPECT_TRUE(plan_thresholds(Options{}, sc, problems).empty());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("plan.yaml:12:5: threshold 'latency<3': unknown metric", 0), 0u)
      << problems[0];
  EXPECT_EQ(problems[1].rfind("plan.yaml:14:5: threshold 'p95<1h': unknown time unit 'h'", 0), 0u)
      << problems[1];
}

}  // namespace
}  // namespace loadgen::app
