// Tests for app/run_plan's load model: the command line's model, else the scenario file's
// (Scenario::load), and the problems of each (docs/load-models.md).
#include "app/run_plan.hpp"

#include <gtest/gtest.h>

#include "plan/stages.hpp"

namespace loadgen::app {
namespace {

std::vector<plan::Stage> stages(const char* text, plan::StageKind kind = plan::StageKind::kUsers) {
  return *plan::parse_stages(text, kind, "file.yaml:3:5");
}

// A scenario file's load section (each part empty/unset unless given).
scenario::Scenario file_with(std::vector<plan::Stage> stages, std::optional<double> rate,
                             std::vector<plan::Stage> arrival_stages,
                             std::optional<std::int64_t> max_users) {
  scenario::Scenario sc;
  sc.source_file = "file.yaml";
  sc.load.stages = std::move(stages);
  sc.load.arrival_rate = rate;
  sc.load.arrival_stages = std::move(arrival_stages);
  sc.load.max_users = max_users;
  return sc;
}

struct Applied {
  RunPlan plan;
  std::vector<std::string> problems;
};

Applied apply(const Options& o, const scenario::Scenario& sc) {
  Applied a;
  apply_load_model(o, sc, a.plan, a.problems);
  return a;
}

TEST(LoadModel, NoneSaidKeepsUsersAndSpawnRate) {
  const Applied a = apply(Options{}, scenario::Scenario{});
  EXPECT_TRUE(a.problems.empty());
  EXPECT_TRUE(a.plan.stages.empty());
  EXPECT_FALSE(a.plan.cfg.arrivals);
  EXPECT_EQ(a.plan.load_summary, "");
}

TEST(LoadModel, TheFilesStagesApplyWhenTheCommandLineSaysNothing) {
  const auto sc = file_with(stages("10s:5,5s:0"), {}, {}, {});
  const Applied a = apply(Options{}, sc);
  ASSERT_EQ(a.plan.stages.size(), 2u);
  EXPECT_EQ(a.plan.stages[0].origin, "file.yaml:3:5");
  EXPECT_EQ(a.plan.load_summary, "Load shape: 2 stages over 15 s (file.yaml)");
  // --stages replaces them; so does an arrival rate on the command line (the whole model).
  Options o;
  o.stages = stages("1s:1");
  EXPECT_EQ(apply(o, sc).plan.stages.size(), 1u);
  Options open;
  open.arrival_rate = 20;
  open.max_users = 3;
  const Applied b = apply(open, sc);
  EXPECT_TRUE(b.problems.empty());
  EXPECT_TRUE(b.plan.stages.empty());
  ASSERT_TRUE(b.plan.cfg.arrivals);
  EXPECT_EQ(b.plan.cfg.arrivals->max_users, 3);
  EXPECT_DOUBLE_EQ(*b.plan.cfg.arrivals->schedule->due(20), 1.0);
}

TEST(LoadModel, TheFilesArrivalRateTakesMaxUsersFromEitherPlace) {
  const auto sc = file_with({}, 50.0, {}, 10);
  const Applied a = apply(Options{}, sc);
  ASSERT_TRUE(a.plan.cfg.arrivals);
  EXPECT_EQ(a.plan.cfg.arrivals->max_users, 10);
  EXPECT_EQ(a.plan.load_summary,
            "Arrival rate: 50 iterations/s from a pool of at most 10 users (file.yaml)");
  Options o;
  o.max_users = 99;
  EXPECT_EQ(apply(o, sc).plan.cfg.arrivals->max_users, 99);
  const auto ramp = file_with({}, {}, stages("10s:50", plan::StageKind::kArrivalRate), {});
  o.max_users = 4;
  const Applied r = apply(o, ramp);
  ASSERT_TRUE(r.plan.cfg.arrivals);
  EXPECT_EQ(r.plan.cfg.arrivals->schedule->end_s(), 10.0);
}

TEST(LoadModel, Problems) {
  auto one = [](const Options& o, const scenario::Scenario& sc) {
    const Applied a = apply(o, sc);
    EXPECT_EQ(a.problems.size(), 1u);
    return a.problems.empty() ? std::string() : a.problems.front();
  };
  EXPECT_EQ(one(Options{}, file_with(stages("1s:1"), 5.0, {}, {})),
            "the scenario file (file.yaml) sets both stages and an arrival rate: the closed and "
            "the open model cannot be used together");
  EXPECT_EQ(one(Options{}, file_with({}, 5.0, stages("1s:5", plan::StageKind::kArrivalRate), 2)),
            "the scenario file (file.yaml) sets both arrival_rate and arrival_stages: use one");
  EXPECT_NE(one(Options{}, file_with({}, 5.0, {}, {})).find("--arrival-rate needs --max-users"),
            std::string::npos);
  Options o;
  o.max_users = 3;
  EXPECT_NE(one(o, scenario::Scenario{}).find("--max-users: only the open model has a pool"),
            std::string::npos);
}

}  // namespace
}  // namespace loadgen::app
