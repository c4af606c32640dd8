// Interpreter: one LuaJIT state running a scenario file, with the API of prelude.lua and
// bindings.cpp. The loader opens one to learn the user classes; each worker thread opens its
// own (for_thread) the first time it makes a user of the scenario, and all the users of that
// worker are coroutines of it. Worker thread only (a state is never shared between threads).
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"
#include "scenario/lua/model.hpp"

struct lua_State;

namespace loadgen::scenario::lua {

class LuaUser;

class Interpreter {
 public:
  // Runs the prelude and then script.source. Errors name "path:line: what".
  static core::Result<std::unique_ptr<Interpreter>> open(const Script& script);
  // This thread's interpreter for `script` (opened on first use, kept for the thread's life;
  // each user holds a reference too).
  static core::Result<std::shared_ptr<Interpreter>> for_thread(
      const std::shared_ptr<const Script>& script);

  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // The user classes as data; stores the task functions by slot.
  core::Result<Model> compile();

  lua_State* state() const { return L_; }
  const Script& script() const { return *script_; }

  // The user whose coroutine runs now (set around each resume), for the bindings.
  LuaUser* current = nullptr;

  // Registry references (luaL_ref) of what the C++ side needs.
  struct Refs {
    int api = -1;
    int fns = -1;  // slot -> function
    int stop = -1, reschedule = -1, interrupt = -1, interrupt_wait = -1;
    int err_mt = -1;   // errors wrapped with their traceback by span()
    int resp_mt = -1;  // responses
    int headers_mt = -1;
    int new_self = -1;
  } refs;

 private:
  Interpreter() = default;
  lua_State* L_ = nullptr;
  const Script* script_ = nullptr;
  std::shared_ptr<const Script> keep_;  // for_thread: the script outlives its interpreters
};

}  // namespace loadgen::scenario::lua
