#include "app/inspect.hpp"

#include <cstdio>
#include <vector>

#include "app/run_plan.hpp"
#include "scenario/task_ratio.hpp"

namespace loadgen::app {

namespace {

int usage_errors(const std::vector<std::string>& problems) {
  for (const auto& p : problems) std::fprintf(stderr, "loadgen: error: %s\n", p.c_str());
  std::fprintf(stderr, "Run with --help for usage.\n");
  return kUsageExitCode;
}

}  // namespace

bool wants_inspection(const Options& o) {
  return o.list_user_classes || o.show_task_ratio || o.show_task_ratio_json;
}

int inspect_scenario(const Options& o, const std::map<std::string, std::string>& env, Log& log) {
  std::vector<std::string> problems;
  std::optional<scenario::Scenario> sc = load_scenario(o, env, problems);
  if (!sc) return usage_errors(problems);
  std::string out;
  // Locust lists every class of the file, before the positional names select any.
  if (o.list_user_classes) {
    out = "Available Users:\n";
    for (const scenario::UserClass& c : sc->user_classes) out += "    " + c.name + "\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  select_classes_and_tasks(*sc, o, problems, log);
  if (!problems.empty()) return usage_errors(problems);
  // Locust's num_users: -u when given (0 counts as not given), else None.
  const long long num_users = o.users_given ? o.users : 0;
  out = o.show_task_ratio ? scenario::format_task_ratio(sc->user_classes, num_users)
                          : scenario::format_task_ratio_json(sc->user_classes, num_users);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace loadgen::app
