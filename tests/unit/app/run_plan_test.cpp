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

// --max-users with the closed model is the same usage error whether the stages come from the
// scenario file or the command line (it was ignored with stages).
TEST(LoadModel, MaxUsersWithStagesIsAProblem) {
  Options o;
  o.max_users = 3;
  const Applied file = apply(o, file_with(stages("10s:5"), {}, {}, {}));
  ASSERT_EQ(file.problems.size(), 1u);
  EXPECT_NE(file.problems[0].find("--max-users: only the open model has a pool"),
            std::string::npos);
  o.stages = stages("1s:1");
  const Applied cli = apply(o, scenario::Scenario{});
  ASSERT_EQ(cli.problems.size(), 1u);
  EXPECT_NE(cli.problems[0].find("--max-users: only the open model has a pool"), std::string::npos);
}

// The file's load is checked against the bounds of --arrival-rate, --arrival-stages and stage
// spawn rates (the YAML and Lua loaders do not call plan's parsers).
TEST(LoadModel, TheFilesRatesAreBounded) {
  const Applied fast = apply(Options{}, file_with({}, 1e8, {}, 10));
  ASSERT_EQ(fast.problems.size(), 1u);
  EXPECT_NE(fast.problems[0].find("arrival_rate 1e+08 is too high"), std::string::npos)
      << fast.problems[0];
  EXPECT_FALSE(fast.plan.cfg.arrivals);
  const Applied slow = apply(Options{}, file_with({}, 1e-9, {}, 10));
  ASSERT_EQ(slow.problems.size(), 1u);
  EXPECT_NE(slow.problems[0].find("too low"), std::string::npos) << slow.problems[0];
  std::vector<plan::Stage> long_stages(1);
  long_stages[0].duration_s = 1e12;
  long_stages[0].target = 5;
  const Applied longer = apply(Options{}, file_with({}, {}, long_stages, 10));
  ASSERT_EQ(longer.problems.size(), 1u);
  EXPECT_NE(longer.problems[0].find("at most 3.16224e+07 s"), std::string::npos)
      << longer.problems[0];
  std::vector<plan::Stage> spawn(1);
  spawn[0].duration_s = 10;
  spawn[0].target = 100;
  spawn[0].spawn_rate = 1e20;
  const Applied burst = apply(Options{}, file_with(spawn, {}, {}, {}));
  ASSERT_EQ(burst.problems.size(), 1u);
  EXPECT_NE(burst.problems[0].find("spawn rate 1e+20 is too high"), std::string::npos)
      << burst.problems[0];
}

// The open model runs one task per iteration: a nested task set (it runs until interrupted)
// would hold a pooled user for good, so it is refused before any load.
TEST(LoadModel, TheOpenModelRefusesTaskSets) {
  scenario::Scenario sc;
  scenario::UserClass c;
  c.name = "Shopper";
  scenario::TaskDef browse;
  browse.name = "browse";
  c.tasks.push_back(browse);
  auto set = std::make_shared<scenario::TaskSet>();
  set->name = "Checkout";
  scenario::TaskDef checkout;
  checkout.name = "Checkout";
  checkout.set = set;
  c.tasks.push_back(checkout);
  sc.user_classes.push_back(c);
  Options o;
  o.arrival_rate = 5;
  o.max_users = 2;
  const Applied a = apply(o, sc);
  ASSERT_EQ(a.problems.size(), 1u);
  EXPECT_EQ(a.problems[0],
            "the open model runs one task per iteration; user class 'Shopper' task 'Checkout' is "
            "a task set (it runs until interrupted): use the closed model (-u or --stages), or "
            "make its tasks top-level tasks");
  // The closed model runs it.
  Options closed;
  closed.stages = stages("1s:1");
  EXPECT_TRUE(apply(closed, sc).problems.empty());
}

}  // namespace
}  // namespace loadgen::app
