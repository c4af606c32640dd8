// --show-task-ratio and --show-task-ratio-json: how often each class and task runs, computed
// and printed as Locust 2.12 does (locust/user/inspectuser.py, main.py), nested task sets
// included. Pure: the app prints what these return.
#pragma once

#include <string>
#include <vector>

#include "scenario/user.hpp"

namespace loadgen::scenario {

// One row of the ratio tree: a user class, a task, or a nested task set (with `tasks`).
struct TaskRatio {
  std::string name;
  double ratio = 0;
  bool has_tasks = false;  // a class or a set: `tasks` is printed (even when empty)
  std::vector<TaskRatio> tasks;
};

// Users per class as Locust's _calc_distribution counts them for `num_users` (-u; 0 or not
// given: the sum of the weights, or 1 when a class has a fixed_count): fixed counts first,
// the rest shared by weight and rounded half to even (Python's round()).
std::vector<long long> users_per_class(const std::vector<UserClass>& classes, long long num_users);

// Locust's get_ratio: per class its share of users and its tasks' ratios, relative to the
// class (`total` false: a task's share of its class's picks) or to all tasks run (`total`
// true: multiplied by the class's and enclosing sets' ratios). Tasks with the same name are
// one row (Locust keys them by name: the last one's ratio, in the first one's place).
std::vector<TaskRatio> task_ratios(const std::vector<UserClass>& classes, long long num_users,
                                   bool total);

// `--show-task-ratio`: both tables, as Locust prints them.
std::string format_task_ratio(const std::vector<UserClass>& classes, long long num_users);
// `--show-task-ratio-json`: {"per_class": ..., "total": ...} as Python's json.dumps(indent=4).
std::string format_task_ratio_json(const std::vector<UserClass>& classes, long long num_users);

// Python's repr() of a float (shortest round-trip digits; exponent below 1e-4 and from 1e16),
// as json.dumps writes numbers: 0.25, 1.0, 1e-05.
std::string python_float_repr(double d);

}  // namespace loadgen::scenario
