#include "scenario/tags.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

namespace loadgen::scenario {

namespace {

bool has_any(const std::vector<std::string>& own, const std::vector<std::string>& inherited,
             const std::vector<std::string>& wanted) {
  const auto in = [&](const std::string& t) {
    return std::find(wanted.begin(), wanted.end(), t) != wanted.end();
  };
  return std::any_of(own.begin(), own.end(), in) ||
         std::any_of(inherited.begin(), inherited.end(), in);
}

std::vector<std::string> with(const std::vector<std::string>& inherited,
                              const std::vector<std::string>& own) {
  std::vector<std::string> out = inherited;
  out.insert(out.end(), own.begin(), own.end());
  return out;
}

void collect_tags(const std::vector<TaskDef>& tasks, std::vector<std::string>& out) {
  for (const TaskDef& t : tasks) {
    out.insert(out.end(), t.tags.begin(), t.tags.end());
    if (t.set) collect_tags(t.set->tasks, out);
  }
}

// The task that stands in for a class's missing tasks (see fail_without_tasks).
core::Task<> no_tasks(User& u) {
  // Locust 2.12 DefaultTaskSet.get_next_task, word for word.
  throw std::runtime_error(
      "No tasks defined on " + u.user_class().name +
      ". Use the @task decorator or set the 'tasks' attribute of the User (or mark it as "
      "abstract = True if you only intend to subclass it)");
  co_return;  // NOLINT: unreachable, makes this a coroutine
}

}  // namespace

std::vector<TaskDef> filter_tasks_by_tags(const std::vector<TaskDef>& tasks,
                                          const TagSelection& sel,
                                          const std::vector<std::string>& inherited) {
  std::vector<TaskDef> out;
  for (const TaskDef& t : tasks) {
    if (t.set) {
      std::vector<TaskDef> inner = filter_tasks_by_tags(t.set->tasks, sel, with(inherited, t.tags));
      if (inner.empty()) continue;
      auto set = std::make_shared<TaskSet>(*t.set);
      set->tasks = std::move(inner);
      TaskDef kept = t;
      kept.set = std::move(set);
      out.push_back(std::move(kept));
      continue;
    }
    bool passing = true;
    if (!sel.tags.empty()) passing = passing && has_any(t.tags, inherited, sel.tags);
    if (!sel.exclude_tags.empty())
      passing = passing && !has_any(t.tags, inherited, sel.exclude_tags);
    if (passing) out.push_back(t);
  }
  return out;
}

std::vector<std::string> filter_by_tags(std::vector<UserClass>& classes, const TagSelection& sel) {
  std::vector<std::string> emptied;
  if (sel.empty()) return emptied;
  for (UserClass& cls : classes) {
    cls.tasks = filter_tasks_by_tags(cls.tasks, sel);
    if (cls.tasks.empty()) emptied.push_back(cls.name);
  }
  return emptied;
}

std::vector<std::string> all_tags(const std::vector<UserClass>& classes) {
  std::vector<std::string> out;
  for (const UserClass& cls : classes) collect_tags(cls.tasks, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void fail_without_tasks(UserClass& cls) {
  if (!cls.tasks.empty()) return;
  cls.tasks.push_back(TaskDef{"no_tasks", 1, no_tasks, {}, {}});
}

}  // namespace loadgen::scenario
