// Loads a Lua scenario file: runs it once in an interpreter of its own to learn its user
// classes (and what it says about the run: load, thresholds, users_flag), and builds the
// scenario model whose users run in each worker's interpreter (Interpreter::for_thread).
#include "scenario/lua/loader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <lua.hpp>
#include <memory>
#include <sstream>

#include "core/timespan.hpp"
#include "scenario/lua/interpreter.hpp"
#include "scenario/lua/lua_user.hpp"
#include "scenario/lua/model.hpp"

namespace loadgen::scenario::lua {

namespace {

core::Error bad(std::string message) {
  return core::Error{"bad_scenario", std::move(message), "see docs/scenario-lua.md"};
}

bool mentions(const std::string& s, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (s.find(w) != std::string::npos) return true;
  return false;
}

// The line of the first `name =` at the start of a line (for origins of top-level tables).
int assignment_line(const std::string& source, std::string_view name) {
  std::istringstream in(source);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const auto p = line.find_first_not_of(" \t");
    if (p == std::string::npos || line.compare(p, name.size(), name) != 0) continue;
    const auto q = line.find_first_not_of(" \t", p + name.size());
    if (q != std::string::npos && line[q] == '=' && (q + 1 >= line.size() || line[q + 1] != '='))
      return n;
  }
  return 0;
}

// The first line at or after `from` that contains `text`; `from` when none does.
int line_containing(const std::string& source, std::string_view text, int from) {
  std::istringstream in(source);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (n >= from && line.find(text) != std::string::npos) return n;
  return from;
}

std::vector<TaskDef> task_defs(const std::vector<TaskModel>& tasks) {
  std::vector<TaskDef> out;
  out.reserve(tasks.size());
  for (const TaskModel& t : tasks) {
    TaskDef d;
    d.name = t.name;
    d.weight = t.weight;
    d.tags = t.tags;
    if (t.set) {
      auto set = std::make_shared<TaskSet>();
      set->name = t.set->name;
      set->sequential = t.set->sequential;
      set->wait_time = t.set->wait_time;
      set->tasks = task_defs(t.set->tasks);
      if (const int s = t.set->on_start)
        set->on_start = [s](User& u) { return static_cast<LuaUser&>(u).run_slot(s); };
      if (const int s = t.set->on_stop)
        set->on_stop = [s](User& u) { return static_cast<LuaUser&>(u).run_slot(s); };
      d.set = std::move(set);
    } else {
      const int slot = t.slot;
      d.fn = [slot](User& u) { return static_cast<LuaUser&>(u).run_slot(slot); };
    }
    out.push_back(std::move(d));
  }
  return out;
}

// Number or string ("30s", "1m30s", "250ms") as seconds.
core::Result<double> duration_of(lua_State* L, int i, const std::string& where) {
  if (lua_type(L, i) == LUA_TNUMBER) return lua_tonumber(L, i);
  if (lua_type(L, i) == LUA_TSTRING) {
    auto d = core::parse_duration(lua_tostring(L, i), where);
    if (!d) return d.error();
    return std::chrono::duration<double>(*d).count();
  }
  return bad(where + ": duration must be a number of seconds or a string like \"30s\"");
}

core::Status read_stages(lua_State* L, int t, const std::string& origin, const char* field,
                         std::vector<plan::Stage>& out) {
  lua_getfield(L, t, field);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return core::Ok{};
  }
  if (!lua_istable(L, -1)) return bad(fmt::format("{}: load.{} must be a list", origin, field));
  const int list = lua_gettop(L);
  const auto n = static_cast<int>(lua_objlen(L, list));
  for (int i = 1; i <= n; ++i) {
    const std::string where = fmt::format("{}: load.{}[{}]", origin, field, i);
    lua_rawgeti(L, list, i);
    const int s = lua_gettop(L);
    if (!lua_istable(L, s)) return bad(where + ": must be a table {duration =, users =}");
    plan::Stage st;
    st.origin = origin;
    lua_getfield(L, s, "duration");
    auto d = duration_of(L, -1, where + ".duration");
    if (!d) return d.error();
    st.duration_s = *d;
    lua_getfield(L, s, "users");
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_getfield(L, s, "target");
    }
    if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < 0)
      return bad(where + ": users (or target) must be a non-negative number");
    st.target = lua_tonumber(L, -1);
    lua_getfield(L, s, "spawn_rate");
    if (lua_type(L, -1) == LUA_TNUMBER) {
      if (!(lua_tonumber(L, -1) > 0)) return bad(where + ": spawn_rate must be positive");
      st.spawn_rate = lua_tonumber(L, -1);
    } else if (!lua_isnil(L, -1)) {
      return bad(where + ": spawn_rate must be a number");
    }
    if (st.duration_s < 0) return bad(where + ": duration must not be negative");
    out.push_back(std::move(st));
    lua_settop(L, list);
  }
  lua_pop(L, 1);
  return core::Ok{};
}

// Top-level `load = {...}`, `thresholds = {...}` and `users_flag = "..."`.
core::Status read_run_settings(lua_State* L, const Script& script, Scenario& sc) {
  const int top = lua_gettop(L);
  lua_getglobal(L, "users_flag");
  if (lua_type(L, -1) == LUA_TSTRING) sc.users_flag = lua_tostring(L, -1);
  lua_settop(L, top);

  lua_getglobal(L, "load");
  if (lua_istable(L, -1)) {
    const int t = lua_gettop(L);
    const std::string origin =
        fmt::format("{}:{}", script.path, assignment_line(script.source, "load"));
    for (const char* f : {"stages", "arrival_stages"}) {
      auto st = read_stages(L, t, origin, f, f[0] == 's' ? sc.load.stages : sc.load.arrival_stages);
      if (!st) {
        lua_settop(L, top);
        return st.error();
      }
    }
    lua_getfield(L, t, "arrival_rate");
    if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) > 0) {
      sc.load.arrival_rate = lua_tonumber(L, -1);
    } else if (!lua_isnil(L, -1)) {
      lua_settop(L, top);
      return bad(origin + ": load.arrival_rate must be a positive number (iterations/s)");
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "max_users");
    if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) >= 1) {
      sc.load.max_users = static_cast<std::int64_t>(lua_tonumber(L, -1));
    } else if (!lua_isnil(L, -1)) {
      lua_settop(L, top);
      return bad(origin + ": load.max_users must be a positive integer");
    }
  }
  lua_settop(L, top);

  lua_getglobal(L, "thresholds");
  if (!lua_isnil(L, -1)) {
    const int at = assignment_line(script.source, "thresholds");
    const std::string origin = fmt::format("{}:{}", script.path, at);
    if (!lua_istable(L, -1)) {
      lua_settop(L, top);
      return bad(origin + ": thresholds must be a list of strings");
    }
    const int t = lua_gettop(L);
    const auto n = static_cast<int>(lua_objlen(L, t));
    for (int i = 1; i <= n; ++i) {
      lua_rawgeti(L, t, i);
      Scenario::Threshold th;
      if (lua_type(L, -1) == LUA_TSTRING) {
        th.expression = lua_tostring(L, -1);
      } else if (lua_istable(L, -1)) {
        lua_rawgeti(L, -1, 1);
        if (lua_type(L, -1) == LUA_TSTRING) th.expression = lua_tostring(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, -1, "abort_on_fail");
        th.abort_on_fail = lua_toboolean(L, -1) != 0;
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      if (th.expression.empty()) {
        lua_settop(L, top);
        return bad(
            fmt::format("{}: thresholds[{}] must be a string or {{\"expr\", "
                        "abort_on_fail = true}}",
                        origin, i));
      }
      th.origin =
          fmt::format("{}:{}", script.path, line_containing(script.source, th.expression, at));
      sc.thresholds.push_back(std::move(th));
    }
  }
  lua_settop(L, top);
  return core::Ok{};
}

}  // namespace

core::Result<Scenario> load_file(const std::string& path, const FileSettings&) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad(path + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  auto script = std::make_shared<Script>();
  script->path = path;
  const auto parent = std::filesystem::path(path).parent_path();
  script->dir = parent.empty() ? std::string(".") : parent.string();
  script->source = text.str();
  // A guess: headers need no body, and catch_response keeps its own response's; a read the
  // guess misses is a Lua error naming keep_body / keep_bodies (bindings.cpp).
  script->reads_responses =
      mentions(script->source, {".body", ".text", ":json(", "[\"body\"]", "['body']"});

  auto opened = Interpreter::open(*script);
  if (!opened) return opened.error();
  Interpreter& interp = **opened;
  lua_getglobal(interp.state(), "keep_bodies");
  if (lua_toboolean(interp.state(), -1) != 0) script->reads_responses = true;
  lua_pop(interp.state(), 1);
  auto model = interp.compile();
  if (!model) return model.error();
  script->model = std::move(*model);

  Scenario sc;
  sc.name = std::filesystem::path(path).stem().string();
  auto st = read_run_settings(interp.state(), *script, sc);
  if (!st) return st.error();
  sc.uses_flags = mentions(script->source, {"flag(", "flag ("}) || !sc.users_flag.empty();
  sc.needs_host = false;
  std::shared_ptr<const Script> shared = script;
  for (std::size_t i = 0; i < shared->model.classes.size(); ++i) {
    const ClassModel& cm = shared->model.classes[i];
    UserClass uc;
    uc.name = cm.name;
    uc.weight = cm.weight;
    uc.fixed_count = cm.fixed_count;
    uc.wait_time = cm.wait_time.value_or(WaitTime::constant(0));
    uc.host = cm.host;
    uc.sequential = cm.sequential;
    uc.tasks = task_defs(cm.tasks);
    const int index = static_cast<int>(i);
    uc.make = [shared, index]() -> std::unique_ptr<User> {
      const ClassModel& c = shared->model.classes[static_cast<std::size_t>(index)];
      auto interp_for_thread = Interpreter::for_thread(shared);
      if (!interp_for_thread)
        return std::make_unique<LuaUser>(nullptr, c, index, interp_for_thread.error().message);
      return std::make_unique<LuaUser>(std::move(*interp_for_thread), c, index);
    };
    if (cm.host.empty()) sc.needs_host = true;
    sc.user_classes.push_back(std::move(uc));
  }
  return sc;
}

}  // namespace loadgen::scenario::lua
