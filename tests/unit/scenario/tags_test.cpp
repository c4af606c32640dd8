// Tests for scenario/tags: the cases of Locust 2.12's locust/test/test_tags.py, on the model
// (TaskDef::tags, nested TaskDef::set), plus the built-ins' tags.
#include "scenario/tags.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace loadgen::scenario {
namespace {

TaskDef t(std::string name, std::vector<std::string> tags = {}, unsigned weight = 1) {
  TaskDef d;
  d.name = std::move(name);
  d.weight = weight;
  d.tags = std::move(tags);
  d.fn = [](User&) -> core::Task<> { co_return; };
  return d;
}

TaskDef set(std::string name, std::vector<TaskDef> tasks, std::vector<std::string> tags = {}) {
  auto s = std::make_shared<TaskSet>();
  s->name = name;
  s->tasks = std::move(tasks);
  TaskDef d;
  d.name = std::move(name);
  d.tags = std::move(tags);
  d.set = std::move(s);
  return d;
}

std::vector<std::string> names(const std::vector<TaskDef>& tasks) {
  std::vector<std::string> out;
  for (const TaskDef& d : tasks) out.push_back(d.name);
  return out;
}

using Names = std::vector<std::string>;

TEST(Tags, IncludingTags) {
  const std::vector<TaskDef> tasks = {t("included", {"include this", "other tag"}),
                                      t("not_included", {"dont include this", "other tag"}),
                                      t("dont_include_this_either")};
  EXPECT_EQ(names(filter_tasks_by_tags(tasks, {{"include this"}, {}})), Names{"included"});
}

TEST(Tags, ExcludingTags) {
  const std::vector<TaskDef> tasks = {t("excluded", {"exclude this", "other tag"}),
                                      t("not_excluded", {"dont exclude this", "other tag"}),
                                      t("dont_exclude_this_either")};
  EXPECT_EQ(names(filter_tasks_by_tags(tasks, {{}, {"exclude this"}})),
            (Names{"not_excluded", "dont_exclude_this_either"}));
}

TEST(Tags, IncludingAndExcluding) {
  const std::vector<TaskDef> tasks = {t("not_included_or_excluded"), t("included", {"included"}),
                                      t("excluded", {"excluded"}),
                                      t("included_and_excluded", {"included", "excluded"})};
  EXPECT_EQ(names(filter_tasks_by_tags(tasks, {{"included"}, {"excluded"}})), Names{"included"});
}

TEST(Tags, IncludingTaskSets) {
  const std::vector<TaskDef> tasks = {
      set("MixedNestedTaskSet", {t("included", {"included"}), t("not_included")}),
      set("TaggedNestedTaskSet", {t("included")}, {"included"}),
      set("NormalNestedTaskSet", {t("not_included")}),
  };
  const auto out = filter_tasks_by_tags(tasks, {{"included"}, {}});
  EXPECT_EQ(names(out), (Names{"MixedNestedTaskSet", "TaggedNestedTaskSet"}));
  EXPECT_EQ(names(out[0].set->tasks), Names{"included"});
  EXPECT_EQ(names(out[1].set->tasks), Names{"included"});
  // The original sets are untouched (copied, never changed in place).
  EXPECT_EQ(tasks[0].set->tasks.size(), 2u);
}

TEST(Tags, ExcludingTaskSets) {
  const std::vector<TaskDef> tasks = {
      set("MixedNestedTaskSet", {t("excluded", {"excluded"}), t("not_excluded")}),
      set("ExcludedNestedTaskSet", {t("excluded", {"excluded"})}),
      set("TaggedNestedTaskSet", {t("excluded")}, {"excluded"}),
      set("NormalNestedTaskSet", {t("not_excluded")}),
  };
  const auto out = filter_tasks_by_tags(tasks, {{}, {"excluded"}});
  EXPECT_EQ(names(out), (Names{"MixedNestedTaskSet", "NormalNestedTaskSet"}));
  EXPECT_EQ(names(out[0].set->tasks), Names{"not_excluded"});
}

TEST(Tags, NestedSetTagsReachEveryLevel) {
  // test_tagging_taskset: tagging a set tags its tasks, and the tasks of sets inside it.
  const std::vector<TaskDef> tasks = {set("MyTaskSet",
                                          {t("tagged"), t("tagged_again", {"task"}),
                                           set("NestedTaskSet", {t("nested_task")}, {"taskset2"})},
                                          {"taskset"})};
  auto out = filter_tasks_by_tags(tasks, {{"taskset"}, {}});
  ASSERT_EQ(names(out), Names{"MyTaskSet"});
  EXPECT_EQ(names(out[0].set->tasks), (Names{"tagged", "tagged_again", "NestedTaskSet"}));
  out = filter_tasks_by_tags(tasks, {{"task", "taskset2"}, {}});
  ASSERT_EQ(names(out), Names{"MyTaskSet"});
  EXPECT_EQ(names(out[0].set->tasks), (Names{"tagged_again", "NestedTaskSet"}));
  EXPECT_TRUE(filter_tasks_by_tags(tasks, {{}, {"taskset"}}).empty());
  out = filter_tasks_by_tags(tasks, {{}, {"taskset2"}});
  EXPECT_EQ(names(out[0].set->tasks), (Names{"tagged", "tagged_again"}));
}

TEST(Tags, WeightsAreKept) {
  const std::vector<TaskDef> tasks = {
      t("include_twice", {"included"}, 2), t("include_3_times", {"included"}, 3),
      t("dont_include_4_times", {"dont include this"}, 4), t("dont_include_5_times", {}, 5)};
  const auto in = filter_tasks_by_tags(tasks, {{"included"}, {}});
  ASSERT_EQ(names(in), (Names{"include_twice", "include_3_times"}));
  EXPECT_EQ(in[0].weight, 2u);
  EXPECT_EQ(in[1].weight, 3u);
  const auto ex = filter_tasks_by_tags(tasks, {{}, {"dont include this"}});
  EXPECT_EQ(names(ex), (Names{"include_twice", "include_3_times", "dont_include_5_times"}));
}

TEST(Tags, SharedTasksAcrossSets) {
  // test_tagged_tasks_shared_across_tasksets.
  const TaskDef shared_task = t("shared_task", {"tagged"});
  const TaskDef untagged_shared_task = t("untagged_shared_task");
  const TaskDef shared_set = set("SharedTaskSet", {t("inner_task")}, {"tagged"});
  const std::vector<TaskDef> tasks = {shared_task, untagged_shared_task, shared_set};
  const auto in = filter_tasks_by_tags(tasks, {{"tagged"}, {}});
  EXPECT_EQ(names(in), (Names{"shared_task", "SharedTaskSet"}));
  EXPECT_EQ(names(in[1].set->tasks), Names{"inner_task"});
  EXPECT_EQ(names(filter_tasks_by_tags(tasks, {{}, {"tagged"}})), Names{"untagged_shared_task"});
}

TEST(Tags, UserClassesAndTheOnesLeftEmpty) {
  // test_include_tags_under_user / test_env_include_tags: a class's tasks, sets included.
  std::vector<UserClass> classes(2);
  classes[0].name = "MyUser";
  classes[0].tasks = {
      set("MyTaskSet", {t("included", {"include this"}), t("not_included", {"dont include this"}),
                        t("dont_include_this_either")})};
  classes[1].name = "Other";
  classes[1].tasks = {t("untagged")};
  EXPECT_EQ(all_tags(classes), (Names{"dont include this", "include this"}));
  EXPECT_TRUE(filter_by_tags(classes, {}).empty());  // no selection: nothing changes
  EXPECT_EQ(classes[1].tasks.size(), 1u);
  const auto emptied = filter_by_tags(classes, {{"include this"}, {}});
  EXPECT_EQ(emptied, Names{"Other"});
  ASSERT_EQ(names(classes[0].tasks), Names{"MyTaskSet"});
  EXPECT_EQ(names(classes[0].tasks[0].set->tasks), Names{"included"});
  EXPECT_TRUE(classes[1].tasks.empty());
  // Locust then fails each pick of the empty class: one stand-in task.
  fail_without_tasks(classes[1]);
  ASSERT_EQ(names(classes[1].tasks), Names{"no_tasks"});
  fail_without_tasks(classes[0]);  // has tasks: unchanged
  EXPECT_EQ(names(classes[0].tasks), Names{"MyTaskSet"});
}

TEST(Tags, BuiltinShopTasksCarryTheirNameAndGroup) {
  BuiltinSettings bs;
  auto sc = make_builtin_scenario("astronomy-shop", bs);
  ASSERT_TRUE(sc);
  auto classes = sc->user_classes;
  for (const TaskDef& d : classes[0].tasks) {
    ASSERT_FALSE(d.tags.empty()) << d.name;
    EXPECT_EQ(d.tags.front(), d.name);
  }
  auto cart = classes;
  filter_by_tags(cart, {{"cart"}, {}});
  EXPECT_EQ(names(cart[0].tasks), (Names{"view_cart", "add_to_cart"}));
  auto checkout = classes;
  filter_by_tags(checkout, {{"checkout"}, {}});
  EXPECT_EQ(names(checkout[0].tasks), (Names{"checkout", "checkout_multi"}));
  auto browse = classes;
  filter_by_tags(browse, {{"browse"}, {"index"}});
  EXPECT_EQ(names(browse[0].tasks), (Names{"browse_product", "get_recommendations", "get_ads"}));
  EXPECT_EQ(all_tags(classes),
            (Names{"add_to_cart", "browse", "browse_product", "cart", "checkout", "checkout_multi",
                   "flood", "flood_home", "get_ads", "get_recommendations", "index", "view_cart"}));
}

}  // namespace
}  // namespace loadgen::scenario
