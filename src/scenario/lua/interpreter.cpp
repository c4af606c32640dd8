#include "scenario/lua/interpreter.hpp"

#include <fmt/format.h>

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "scenario/lua/bindings.hpp"

namespace loadgen::scenario {
extern const char* const kLuaPrelude;  // prelude_lua.cpp, generated from lua/prelude.lua
}  // namespace loadgen::scenario

namespace loadgen::scenario::lua {

namespace {

core::Error load_error(std::string message) {
  return core::Error{"bad_scenario", std::move(message), "see docs/scenario-lua.md"};
}

std::string pop_message(lua_State* L) {
  std::size_t n = 0;
  const char* s = lua_tolstring(L, -1, &n);
  std::string m = s ? std::string(s, n) : std::string("(error object is not a string)");
  lua_pop(L, 1);
  return m;
}

// ---- reading compile()'s plain data ----
std::string field_string(lua_State* L, int t, const char* k) {
  lua_getfield(L, t, k);
  std::size_t n = 0;
  const char* s = lua_tolstring(L, -1, &n);
  std::string v = s ? std::string(s, n) : std::string();
  lua_pop(L, 1);
  return v;
}

double field_number(lua_State* L, int t, const char* k) {
  lua_getfield(L, t, k);
  const double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

bool field_bool(lua_State* L, int t, const char* k) {
  lua_getfield(L, t, k);
  const bool v = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return v;
}

// wait: a {kind, a, b, line} table or nil.
core::Result<std::optional<WaitTime>> field_wait(lua_State* L, int t, const std::string& path) {
  lua_getfield(L, t, "wait");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return std::optional<WaitTime>{};
  }
  const int w = lua_gettop(L);
  const std::string kind = field_string(L, w, "kind");
  const double a = field_number(L, w, "a");
  const double b = field_number(L, w, "b");
  const int line = static_cast<int>(field_number(L, w, "line"));
  lua_pop(L, 1);
  const std::string text =
      kind == "between" ? fmt::format("between({}, {})", a, b) : fmt::format("{}({})", kind, a);
  auto parsed = parse_wait_time(text, "wait_time");
  if (!parsed) return load_error(fmt::format("{}:{}: {}", path, line, parsed.error().message));
  return std::optional<WaitTime>{*parsed};
}

core::Result<std::vector<TaskModel>> read_tasks(lua_State* L, int t, const std::string& path);

core::Result<std::vector<TaskModel>> read_tasks(lua_State* L, int t, const std::string& path) {
  std::vector<TaskModel> out;
  lua_getfield(L, t, "tasks");
  const int list = lua_gettop(L);
  const auto n = static_cast<int>(lua_objlen(L, list));
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, list, i);
    const int e = lua_gettop(L);
    TaskModel tm;
    tm.name = field_string(L, e, "name");
    tm.weight = static_cast<unsigned>(field_number(L, e, "weight"));
    tm.slot = static_cast<int>(field_number(L, e, "slot"));
    lua_getfield(L, e, "tags");
    const auto ntags = static_cast<int>(lua_objlen(L, -1));
    for (int j = 1; j <= ntags; ++j) {
      lua_rawgeti(L, -1, j);
      tm.tags.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_getfield(L, e, "set");
    if (!lua_isnil(L, -1)) {
      const int s = lua_gettop(L);
      auto set = std::make_shared<SetModel>();
      set->name = tm.name;
      set->sequential = field_bool(L, s, "sequential");
      set->on_start = static_cast<int>(field_number(L, s, "on_start"));
      set->on_stop = static_cast<int>(field_number(L, s, "on_stop"));
      auto wait = field_wait(L, s, path);
      if (!wait) return wait.error();
      set->wait_time = *wait;
      auto inner = read_tasks(L, s, path);
      if (!inner) return inner.error();
      set->tasks = std::move(*inner);
      tm.set = std::move(set);
    }
    lua_pop(L, 2);  // set, entry
    out.push_back(std::move(tm));
  }
  lua_pop(L, 1);
  return out;
}

void append_shape(std::string& out, const std::vector<TaskModel>& tasks) {
  for (const TaskModel& t : tasks) {
    out += fmt::format("[{}|{}|{}|", t.name, t.weight, t.slot);
    for (const auto& tag : t.tags) out += tag + ",";
    if (t.set) {
      out += fmt::format("set {} {} {} {}", t.set->name, t.set->sequential, t.set->on_start,
                         t.set->on_stop);
      append_shape(out, t.set->tasks);
    }
    out += "]";
  }
}

}  // namespace

core::Result<std::unique_ptr<Interpreter>> Interpreter::open(const Script& script) {
  std::unique_ptr<Interpreter> in(new Interpreter);
  in->script_ = &script;
  lua_State* L = luaL_newstate();
  if (L == nullptr) return load_error(script.path + ": cannot create a Lua interpreter");
  in->L_ = L;
  luaL_openlibs(L);
  // math.random differs per interpreter (worker), as each worker's users should.
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  lua_pushnumber(L, static_cast<double>(std::hash<std::thread::id>{}(std::this_thread::get_id()) %
                                        1000000007u));
  lua_call(L, 1, 0);
  lua_pop(L, 1);

  if (luaL_loadbuffer(L, kLuaPrelude, std::strlen(kLuaPrelude), "=prelude") != 0)
    return load_error("Lua prelude: " + pop_message(L));
  push_bindings(L, in.get());
  lua_pushlstring(L, script.dir.data(), script.dir.size());
  if (lua_pcall(L, 2, 1, 0) != 0) return load_error("Lua prelude: " + pop_message(L));
  const int api = lua_gettop(L);
  auto ref_field = [&](const char* k) {
    lua_getfield(L, api, k);
    return luaL_ref(L, LUA_REGISTRYINDEX);
  };
  in->refs.stop = ref_field("STOP");
  in->refs.reschedule = ref_field("RESCHEDULE");
  in->refs.interrupt = ref_field("INTERRUPT");
  in->refs.interrupt_wait = ref_field("INTERRUPT_WAIT");
  in->refs.err_mt = ref_field("ERR_MT");
  in->refs.new_self = ref_field("new_self");
  in->refs.api = luaL_ref(L, LUA_REGISTRYINDEX);

  const std::string chunk = "@" + script.path;
  if (luaL_loadbuffer(L, script.source.data(), script.source.size(), chunk.c_str()) != 0)
    return load_error(pop_message(L));
  if (lua_pcall(L, 0, 0, 0) != 0) return load_error(pop_message(L));
  return in;
}

core::Result<Model> Interpreter::compile() {
  lua_State* L = L_;
  const int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, refs.api);
  lua_getfield(L, -1, "compile");
  if (lua_pcall(L, 0, 3, 0) != 0) {
    std::string m = pop_message(L);
    lua_settop(L, top);
    return load_error(m);
  }
  if (lua_isnil(L, -3)) {
    std::string m = script_->path + ": " + (lua_tostring(L, -2) ? lua_tostring(L, -2) : "");
    lua_settop(L, top);
    return load_error(m);
  }
  std::string shape;
  {
    std::size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    if (s != nullptr) shape.assign(s, n);
    lua_pop(L, 1);
  }
  Model model;
  model.slots = static_cast<int>(lua_objlen(L, -1));
  refs.fns = luaL_ref(L, LUA_REGISTRYINDEX);  // pops fns
  const int classes = lua_gettop(L);
  const auto n = static_cast<int>(lua_objlen(L, classes));
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, classes, i);
    const int c = lua_gettop(L);
    ClassModel cm;
    cm.name = field_string(L, c, "name");
    cm.weight = static_cast<unsigned>(field_number(L, c, "weight"));
    cm.fixed_count = static_cast<unsigned>(field_number(L, c, "fixed_count"));
    cm.host = field_string(L, c, "host");
    cm.sequential = field_bool(L, c, "sequential");
    cm.on_start = static_cast<int>(field_number(L, c, "on_start"));
    cm.on_stop = static_cast<int>(field_number(L, c, "on_stop"));
    cm.line = static_cast<int>(field_number(L, c, "line"));
    auto wait = field_wait(L, c, script_->path);
    if (!wait) {
      lua_settop(L, top);
      return wait.error();
    }
    cm.wait_time = *wait;
    auto tasks = read_tasks(L, c, script_->path);
    if (!tasks) {
      lua_settop(L, top);
      return tasks.error();
    }
    cm.tasks = std::move(*tasks);
    lua_pop(L, 1);
    shape += fmt::format("\n{}|{}|{}|{}|{}|{}|{}", cm.name, cm.weight, cm.fixed_count,
                         cm.sequential, cm.on_start, cm.on_stop, cm.host);
    append_shape(shape, cm.tasks);
    model.classes.push_back(std::move(cm));
  }
  lua_settop(L, top);
  model.signature = std::hash<std::string>{}(shape);
  return model;
}

Interpreter::~Interpreter() {
  if (L_) lua_close(L_);
}

core::Result<std::shared_ptr<Interpreter>> Interpreter::for_thread(
    const std::shared_ptr<const Script>& script) {
  thread_local std::vector<std::shared_ptr<Interpreter>> interpreters;
  // A file that fails in this thread fails for every user: it is not run again for each one.
  struct Failure {
    std::shared_ptr<const Script> script;  // held, so its address is not reused
    core::Error error;
  };
  thread_local std::vector<Failure> failures;
  for (const auto& in : interpreters)
    if (in->script_ == script.get()) return in;
  for (const auto& f : failures)
    if (f.script == script) return f.error;
  auto fail = [&](core::Error e) -> core::Result<std::shared_ptr<Interpreter>> {
    failures.push_back(Failure{script, e});
    return e;
  };
  auto opened = open(*script);
  if (!opened) return fail(opened.error());
  std::shared_ptr<Interpreter> in = std::move(*opened);
  in->keep_ = script;
  auto model = in->compile();
  if (!model) return fail(model.error());
  if (model->slots != script->model.slots || model->signature != script->model.signature)
    return fail(load_error(script->path +
                           ": the file defines other user classes or task functions in a worker "
                           "thread than at load time (it must not depend on time or chance)"));
  interpreters.push_back(in);
  return in;
}

}  // namespace loadgen::scenario::lua
