// The YAML scenario loader (docs/scenario-yaml.md): parses the document with yaml-cpp, compiles
// it into a Program (templates resolved, steps checked) and the Scenario model the engine runs.
// Every problem is collected with its file:line:col before anything is returned.
#include "scenario/yaml/loader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario/yaml/compiler.hpp"
#include "scenario/yaml/loader_parts.hpp"
#include "scenario/yaml/runtime.hpp"

namespace loadgen::scenario::yaml {

namespace {

// As in Lua files: weights add up in 64 bits, but a million is plenty for any ratio.
constexpr std::uint64_t kMaxWeight = 1'000'000;

// Nested task sets deeper than this are refused (a guard for generated or hostile files).
constexpr int kMaxDepth = 16;

struct Context {
  Compiler& c;
  std::shared_ptr<Program> program;
};

std::optional<WaitTime> wait_time(Compiler& c, const YAML::Node& n) {
  std::string text;
  if (!c.get_string(n, "wait_time", text)) return std::nullopt;
  auto w = parse_wait_time(text, "wait_time");
  if (!w.ok()) {
    c.error(n, w.error().message);
    return std::nullopt;
  }
  return *w;
}

const Block* keep(Program& p, Block b) {
  p.blocks.push_back(std::make_unique<Block>(std::move(b)));
  return p.blocks.back().get();
}

std::vector<TaskDef> compile_tasks(Context& ctx, const YAML::Node& tasks, int depth);

TaskDef compile_task(Context& ctx, const YAML::Node& n, std::size_t index, int depth) {
  Compiler& c = ctx.c;
  TaskDef t;
  t.name = fmt::format("task{}", index + 1);
  if (!c.check_map(n, "task",
                   {"name", "weight", "tags", "steps", "tasks", "sequential", "wait_time",
                    "on_start", "on_stop"}))
    return t;
  if (n["name"]) c.get_string(n["name"], "name", t.name);
  if (n["weight"]) {
    std::uint64_t w = 1;
    if (c.get_uint(n["weight"], "weight", w, 1, kMaxWeight)) t.weight = static_cast<unsigned>(w);
  }
  if (const auto tags = n["tags"]) {
    if (!tags.IsSequence()) {
      c.error(tags, "tags must be a list of names");
    } else {
      for (const auto& tag : tags) {
        std::string s;
        if (c.get_string(tag, "tag", s)) t.tags.push_back(std::move(s));
      }
    }
  }
  const bool has_steps = static_cast<bool>(n["steps"]);
  const bool has_tasks = static_cast<bool>(n["tasks"]);
  if (has_steps == has_tasks) {
    c.error(n, fmt::format("task {} needs steps: (a task) or tasks: (a nested task set), "
                           "exactly one",
                           t.name));
    return t;
  }
  Program& p = *ctx.program;
  if (has_steps) {
    for (const char* k : {"sequential", "wait_time", "on_start", "on_stop"})
      if (n[k]) c.error(n[k], fmt::format("{} belongs to a task set (a task with tasks:)", k));
    t.fn = block_function(ctx.program, keep(p, c.compile_block(n["steps"], "steps")));
    return t;
  }
  if (depth >= kMaxDepth) {
    c.error(n, fmt::format("task sets nest deeper than {}", kMaxDepth));
    return t;
  }
  auto set = std::make_shared<TaskSet>();
  set->name = t.name;
  if (n["sequential"]) c.get_bool(n["sequential"], "sequential", set->sequential);
  if (n["wait_time"]) set->wait_time = wait_time(c, n["wait_time"]);
  if (n["on_start"])
    set->on_start =
        block_function(ctx.program, keep(p, c.compile_block(n["on_start"], "on_start")));
  if (n["on_stop"])
    set->on_stop = block_function(ctx.program, keep(p, c.compile_block(n["on_stop"], "on_stop")));
  set->tasks = compile_tasks(ctx, n["tasks"], depth + 1);
  t.set = std::move(set);
  return t;
}

std::vector<TaskDef> compile_tasks(Context& ctx, const YAML::Node& tasks, int depth) {
  std::vector<TaskDef> out;
  if (!tasks.IsSequence() || tasks.size() == 0) {
    ctx.c.error(tasks, "tasks must be a non-empty list");
    return out;
  }
  for (std::size_t i = 0; i < tasks.size(); ++i)
    out.push_back(compile_task(ctx, tasks[i], i, depth));
  return out;
}

UserClass compile_class(Context& ctx, const YAML::Node& n, std::size_t index,
                        const YAML::Node& shared_vars) {
  Compiler& c = ctx.c;
  UserClass cls;
  cls.name = fmt::format("User{}", index + 1);
  cls.wait_time =
      WaitTime::between(1, 10);  // what the built-in shop waits; say wait_time: to change
  if (!c.check_map(n, "user class",
                   {"name", "weight", "fixed_count", "wait_time", "host", "sequential", "variables",
                    "on_start", "on_stop", "tasks"}))
    return cls;
  if (n["name"]) c.get_string(n["name"], "name", cls.name);
  if (n["weight"]) {
    std::uint64_t w = 1;
    if (c.get_uint(n["weight"], "weight", w, 1, kMaxWeight)) cls.weight = static_cast<unsigned>(w);
  }
  if (n["fixed_count"]) {
    std::uint64_t f = 0;
    if (c.get_uint(n["fixed_count"], "fixed_count", f)) cls.fixed_count = static_cast<unsigned>(f);
  }
  if (n["wait_time"]) {
    if (auto w = wait_time(c, n["wait_time"])) cls.wait_time = *w;
  }
  if (n["host"]) {
    if (c.get_string(n["host"], "host", cls.host) && cls.host.rfind("http://", 0) != 0 &&
        cls.host.rfind("https://", 0) != 0)
      c.error(n["host"],
              fmt::format("host '{}' must be an absolute URL (http:// or https://)", cls.host));
    while (!cls.host.empty() && cls.host.back() == '/') cls.host.pop_back();
  }
  if (n["sequential"]) c.get_bool(n["sequential"], "sequential", cls.sequential);
  Program& p = *ctx.program;
  auto prog = std::make_unique<ClassProgram>();
  for (const YAML::Node& vars : {shared_vars, n["variables"]}) {
    if (!vars || vars.IsNull()) continue;
    if (!vars.IsMap()) {
      c.error(vars, "variables must be a mapping of name: value");
      continue;
    }
    for (auto it = vars.begin(); it != vars.end(); ++it) {
      Template t;
      const std::string name = it->first.as<std::string>();
      if (c.compile(it->second, fmt::format("variable {}", name), t))
        prog->initial.emplace_back(c.declare_variable(name), std::move(t));
    }
  }
  prog->on_start = c.compile_block(n["on_start"], "on_start");
  prog->on_stop = c.compile_block(n["on_stop"], "on_stop");
  if (!n["tasks"])
    c.error(n, fmt::format("user class {} has no tasks", cls.name));
  else
    cls.tasks = compile_tasks(ctx, n["tasks"], 0);
  const ClassProgram* cp = prog.get();
  p.classes.push_back(std::move(prog));
  cls.make = user_factory(ctx.program, cp);
  return cls;
}

}  // namespace

core::Result<Scenario> load_text(std::string_view text, const std::string& path,
                                 const FileSettings&) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  Compiler c(path, dir.empty() ? "." : dir);
  Scenario sc;
  try {
    const YAML::Node doc = YAML::Load(std::string(text));
    if (!doc.IsMap()) {
      c.error(doc, "a scenario file is a mapping with users: (see docs/scenario-yaml.md)");
    } else if (c.check_map(doc, "the scenario",
                           {"name", "data", "variables", "define", "users", "users_flag", "load",
                            "thresholds"})) {
      sc.name = std::filesystem::path(path).stem().string();
      if (doc["name"]) c.get_string(doc["name"], "name", sc.name);
      compile_data(c, doc["data"]);
      c.declare_all(doc);
      if (const auto defs = doc["define"]) {
        if (!defs.IsMap())
          c.error(defs, "define must be a mapping of name: [steps]");
        else
          c.set_defines(defs);
      }
      if (const auto vars = doc["variables"]; vars && !vars.IsNull() && !vars.IsMap())
        c.error(vars, "variables must be a mapping of name: value");
      Context ctx{c, c.program()};
      const YAML::Node users = doc["users"];
      if (!users) {
        c.error(doc, "no users: (a list of user classes)");
      } else if (!users.IsSequence() || users.size() == 0) {
        c.error(users, "users must be a non-empty list of user classes");
      } else {
        const YAML::Node shared_vars =
            doc["variables"] && doc["variables"].IsMap() ? doc["variables"] : YAML::Node();
        for (std::size_t i = 0; i < users.size(); ++i)
          sc.user_classes.push_back(compile_class(ctx, users[i], i, shared_vars));
        for (std::size_t i = 0; i < sc.user_classes.size(); ++i)
          for (std::size_t j = 0; j < i; ++j)
            if (sc.user_classes[i].name == sc.user_classes[j].name)
              c.error(users[i],
                      fmt::format("two user classes are named {}", sc.user_classes[i].name));
      }
      if (doc["users_flag"]) {
        if (c.get_string(doc["users_flag"], "users_flag", sc.users_flag) && sc.users_flag.empty())
          c.error(doc["users_flag"], "users_flag must name a flag");
      }
      compile_load(c, doc["load"], sc.load);
      compile_thresholds(c, doc["thresholds"], sc.thresholds);
    }
  } catch (const YAML::Exception& e) {
    c.error(e.mark, e.msg);
  } catch (const std::exception& e) {  // a bug of ours, or nlohmann's: still an input error
    c.error(YAML::Mark::null_mark(), e.what());
  }
  if (!c.errors().empty()) {
    std::string msg;
    for (const auto& e : c.errors()) {
      if (!msg.empty()) msg += '\n';
      msg += e;
    }
    return core::Error{"bad_scenario", std::move(msg), "see docs/scenario-yaml.md"};
  }
  sc.uses_flags = c.uses_flags() || !sc.users_flag.empty();
  sc.needs_host = false;
  for (const auto& cls : sc.user_classes) sc.needs_host = sc.needs_host || cls.host.empty();
  sc.source_file = path;
  return sc;
}

core::Result<Scenario> load_file(const std::string& path, const FileSettings& settings) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return core::Error{"no_file", fmt::format("{}: cannot read", path), ""};
  std::ostringstream ss;
  ss << f.rdbuf();
  return load_text(ss.str(), path, settings);
}

}  // namespace loadgen::scenario::yaml
