// Locust's task tags (-T/--tags, -E/--exclude-tags): which tasks of a scenario run, as Locust
// 2.12's filter_tasks_by_tags (locust/user/task.py) decides. Pure functions over the model,
// used by the app after a scenario is built (built-in or file) and before it runs or is shown.
#pragma once

#include <string>
#include <vector>

#include "scenario/user.hpp"

namespace loadgen::scenario {

// What -T and -E asked for. An empty list is no filter (Locust: `-T` without a tag, or unset).
struct TagSelection {
  std::vector<std::string> tags;          // keep tasks with at least one of these tags
  std::vector<std::string> exclude_tags;  // drop tasks with any of these tags
  bool empty() const { return tags.empty() && exclude_tags.empty(); }
};

// `tasks` without the tasks the selection drops, recursively:
//  - a task's tags are its own plus those of every enclosing set (Locust's @tag on a TaskSet
//    tags each task inside it; a set has no tags of its own);
//  - with `tags`, a task stays when it has one of them; with `exclude_tags`, when it has none
//    of them (both: both conditions);
//  - a nested set stays when it keeps at least one task (its tasks filtered the same way);
//    the set is copied, never changed in place (sets are shared, read-only).
// `inherited` holds the tags of the enclosing sets.
std::vector<TaskDef> filter_tasks_by_tags(const std::vector<TaskDef>& tasks,
                                          const TagSelection& sel,
                                          const std::vector<std::string>& inherited = {});

// Filters every class's tasks. Returns the names of the classes left without any task, in
// order (Locust warns "<class> had no tasks left after filtering" and runs them anyway: each
// of their users then fails every time it picks a task; see fail_without_tasks).
std::vector<std::string> filter_by_tags(std::vector<UserClass>& classes, const TagSelection& sel);

// Every tag a task of these classes has (own or inherited), sorted, each once: for messages.
std::vector<std::string> all_tags(const std::vector<UserClass>& classes);

// Gives a class without tasks the behaviour Locust 2.12 has for it: one task ("no_tasks")
// that fails with Locust's message ("No tasks defined on <class>...") every time it runs, so
// its users report an exception per wait instead of running nothing silently.
void fail_without_tasks(UserClass& cls);

}  // namespace loadgen::scenario
