// Tests for scenario/task_ratio: Locust 2.12's locust/test/test_taskratio.py cases, the user
// distribution of inspectuser._calc_distribution, and the exact output formats.
#include "scenario/task_ratio.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace loadgen::scenario {
namespace {

TaskDef t(std::string name, unsigned weight = 1) {
  TaskDef d;
  d.name = std::move(name);
  d.weight = weight;
  d.fn = [](User&) -> core::Task<> { co_return; };
  return d;
}

TaskDef set(std::string name, std::vector<TaskDef> tasks, unsigned weight = 1) {
  auto s = std::make_shared<TaskSet>();
  s->name = name;
  s->tasks = std::move(tasks);
  TaskDef d;
  d.name = std::move(name);
  d.weight = weight;
  d.set = std::move(s);
  return d;
}

UserClass cls(std::string name, unsigned weight, std::vector<TaskDef> tasks) {
  UserClass c;
  c.name = std::move(name);
  c.weight = weight;
  c.tasks = std::move(tasks);
  return c;
}

TEST(TaskRatio, NestedSetsAsTestTaskRatioCommand) {
  // class Tasks(TaskSet): root_task1 and SubTasks(task1, task2); ratios of Tasks.tasks.
  const std::vector<UserClass> classes = {
      cls("MyUser", 1, {t("root_task1"), set("SubTasks", {t("task1"), t("task2")})})};
  const auto r = task_ratios(classes, 0, true);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].ratio, 1.0);
  ASSERT_EQ(r[0].tasks.size(), 2u);
  EXPECT_EQ(r[0].tasks[0].name, "root_task1");
  EXPECT_EQ(r[0].tasks[0].ratio, 0.5);
  EXPECT_FALSE(r[0].tasks[0].has_tasks);
  EXPECT_EQ(r[0].tasks[1].name, "SubTasks");
  EXPECT_EQ(r[0].tasks[1].ratio, 0.5);
  ASSERT_EQ(r[0].tasks[1].tasks.size(), 2u);
  EXPECT_EQ(r[0].tasks[1].tasks[0].ratio, 0.25);
  EXPECT_EQ(r[0].tasks[1].tasks[1].ratio, 0.25);
}

TEST(TaskRatio, ClassWeightsAsTestTaskRatioCommandWithLocustWeight) {
  const auto tasks = std::vector<TaskDef>{set("Tasks", {t("task1", 1), t("task3", 3)})};
  const std::vector<UserClass> classes = {cls("UnlikelyUser", 1, tasks),
                                          cls("MoreLikelyUser", 3, tasks)};
  const auto total = task_ratios(classes, 4, true);
  EXPECT_EQ(total[0].ratio, 0.25);
  EXPECT_EQ(total[1].ratio, 0.75);
  EXPECT_EQ(total[0].tasks[0].ratio, 0.25);
  EXPECT_EQ(total[0].tasks[0].tasks[0].ratio, 0.25 * 0.25);
  EXPECT_EQ(total[0].tasks[0].tasks[1].ratio, 0.25 * 0.75);
  EXPECT_EQ(total[1].tasks[0].tasks[0].ratio, 0.75 * 0.25);
  EXPECT_EQ(total[1].tasks[0].tasks[1].ratio, 0.75 * 0.75);
  // Per class: tasks relative to their class; the class keeps its share.
  const auto per_class = task_ratios(classes, 4, false);
  EXPECT_EQ(per_class[0].ratio, 0.25);
  EXPECT_EQ(per_class[0].tasks[0].ratio, 1.0);
  EXPECT_EQ(per_class[0].tasks[0].tasks[1].ratio, 0.75);
}

TEST(TaskRatio, UsersPerClassAsCalcDistribution) {
  std::vector<UserClass> classes = {cls("A", 1, {t("a")}), cls("B", 3, {t("b")})};
  EXPECT_EQ(users_per_class(classes, 0), (std::vector<long long>{1, 3}));  // -u not given
  EXPECT_EQ(users_per_class(classes, 1), (std::vector<long long>{0, 1}));
  // round() is half to even: 2 users * 1/4 = 0.5 -> 0, 2 * 3/4 = 1.5 -> 2.
  EXPECT_EQ(users_per_class(classes, 2), (std::vector<long long>{0, 2}));
  EXPECT_EQ(users_per_class(classes, 10), (std::vector<long long>{2, 8}));  // 2.5 -> 2, 7.5 -> 8
  classes[0].fixed_count = 2;
  EXPECT_EQ(users_per_class(classes, 0), (std::vector<long long>{2, 0}));  // num_users 1
  EXPECT_EQ(users_per_class(classes, 5), (std::vector<long long>{2, 3}));
  // With -u 1 class A gets no user: its ratio is 0, its tasks' totals too.
  classes[0].fixed_count = 0;
  const auto r = task_ratios(classes, 1, true);
  EXPECT_EQ(r[0].ratio, 0.0);
  EXPECT_EQ(r[0].tasks[0].ratio, 0.0);
  EXPECT_EQ(r[1].ratio, 1.0);
}

TEST(TaskRatio, SameNamedTasksAreOneRowAsInLocustsDict) {
  const std::vector<UserClass> classes = {cls("U", 1, {t("a", 1), t("b", 1), t("a", 2)})};
  const auto r = task_ratios(classes, 0, false);
  ASSERT_EQ(r[0].tasks.size(), 2u);
  EXPECT_EQ(r[0].tasks[0].name, "a");
  EXPECT_EQ(r[0].tasks[0].ratio, 0.5);  // the last one's 2/4, in the first one's place
  EXPECT_EQ(r[0].tasks[1].name, "b");
}

TEST(TaskRatio, TextFormatAsLocustPrintsIt) {
  const std::vector<UserClass> classes = {
      cls("UserA", 1, {set("Sub", {t("a", 2), t("b", 1)}, 2), t("c", 3)}),
      cls("UserB", 3, {t("d")})};
  const std::string pad50(50, ' ');
  const auto row = [](std::string pct, std::string name) {
    pct.resize(10, ' ');
    name.resize(50, ' ');
    return " " + pct + " " + name + "\n";
  };
  std::string want = "\n Task ratio per User class\n" + std::string(80, '-') + "\n";
  want += row("25.0", "UserA") + row("  40.0", "  Sub") + row("    66.7", "    a") +
          row("    33.3", "    b") + row("  60.0", "  c") + row("75.0", "UserB") +
          row("  100.0", "  d");
  want += "\n Total task ratio\n" + std::string(80, '-') + "\n";
  want += row("25.0", "UserA") + row("  10.0", "  Sub") + row("    6.7", "    a") +
          row("    3.3", "    b") + row("  15.0", "  c") + row("75.0", "UserB") +
          row("  75.0", "  d");
  EXPECT_EQ(format_task_ratio(classes, 0), want);
  // "%-6.1f" pads the percentage to 6 before the column's 10.
  EXPECT_EQ(row("25.0", "x").substr(0, 12), " 25.0       ");
}

TEST(TaskRatio, JsonFormatAsPythonDumpsIndent4) {
  const std::vector<UserClass> classes = {cls("U\xC3\xA9", 1, {t("a\"b", 1), t("c", 2)}),
                                          cls("Empty", 1, {})};
  const std::string want = R"({
    "per_class": {
        "U\u00e9": {
            "ratio": 0.5,
            "tasks": {
                "a\"b": {
                    "ratio": 0.3333333333333333
                },
                "c": {
                    "ratio": 0.6666666666666666
                }
            }
        },
        "Empty": {
            "ratio": 0.5,
            "tasks": {}
        }
    },
    "total": {
        "U\u00e9": {
            "ratio": 0.5,
            "tasks": {
                "a\"b": {
                    "ratio": 0.16666666666666666
                },
                "c": {
                    "ratio": 0.3333333333333333
                }
            }
        },
        "Empty": {
            "ratio": 0.5,
            "tasks": {}
        }
    }
}
)";
  EXPECT_EQ(format_task_ratio_json(classes, 0), want);
}

TEST(TaskRatio, PythonFloatRepr) {
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(0.25), "0.25");
  EXPECT_EQ(python_float_repr(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(0.00001), "1e-05");
  EXPECT_EQ(python_float_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(python_float_repr(123.0), "123.0");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(-2.5), "-2.5");
}

}  // namespace
}  // namespace loadgen::scenario
