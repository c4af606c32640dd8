#include "scenario/lua/lua_user.hpp"

#include <chrono>
#include <exception>
#include <lua.hpp>
#include <utility>

namespace loadgen::scenario::lua {

namespace {
// The next task generation of this thread (LuaUser::generation_).
std::uint64_t next_generation() {
  thread_local std::uint64_t n = 0;
  return ++n;
}
}  // namespace

LuaUser::LuaUser(std::shared_ptr<Interpreter> interp, const ClassModel& cls, int class_index,
                 std::string error)
    : interp_(std::move(interp)),
      cls_(&cls),
      class_index_(class_index),
      open_error_(std::move(error)),
      generation_(next_generation()) {}

LuaUser::~LuaUser() {
  spans_.clear();
  responses_.clear();
  if (!interp_) return;
  lua_State* L = interp_->state();
  luaL_unref(L, LUA_REGISTRYINDEX, thread_ref_);
  luaL_unref(L, LUA_REGISTRYINDEX, self_ref_);
}

core::Task<> LuaUser::on_start() {
  if (cls_->on_start != 0) co_await run_slot(cls_->on_start);
}

core::Task<> LuaUser::on_stop() {
  if (cls_->on_stop != 0) co_await run_slot(cls_->on_stop);
}

void LuaUser::reset_thread() {
  lua_State* L = interp_->state();
  luaL_unref(L, LUA_REGISTRYINDEX, thread_ref_);
  co_ = lua_newthread(L);
  thread_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  if (self_ref_ == LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, interp_->refs.new_self);
    lua_pushinteger(L, class_index_ + 1);
    if (lua_pcall(L, 1, 1, 0) != 0) lua_pop(L, 1), lua_newtable(L);
    self_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  co_clean_ = true;
}

core::Task<> LuaUser::run_slot(int slot) {
  if (!interp_) throw LuaError(open_error_);
  if (!co_clean_) reset_thread();
  co_clean_ = false;  // until the task ends normally (an error or a kill leaves it unusable)
  struct TaskEnd {
    LuaUser& u;
    ~TaskEnd() { u.end_task(); }
  } end{*this};
  lua_State* co = co_;
  lua_rawgeti(co, LUA_REGISTRYINDEX, interp_->refs.fns);
  lua_rawgeti(co, -1, slot);
  lua_remove(co, -2);
  lua_rawgeti(co, LUA_REGISTRYINDEX, self_ref_);
  int nargs = 1;
  for (;;) {
    interp_->current = this;
    const int status = lua_resume(co, nargs);
    interp_->current = nullptr;
    if (status == LUA_YIELD) {
      nargs = co_await perform();
      continue;
    }
    if (status == 0) {
      lua_settop(co, 0);
      co_clean_ = true;
      co_return;
    }
    std::exception_ptr error;
    bool control = false;
    try {
      raise_error();
    } catch (const LuaError&) {
      error = std::current_exception();
    } catch (const RescheduleTask&) {
      error = std::current_exception();
    } catch (...) {
      error = std::current_exception();
      control = true;
    }
    // A task that fails (or reschedules) before it ever waited must still let the loop run:
    // with a wait of 0 it would otherwise spin the worker, deaf to the stop of the run.
    if (!control) co_await sleep(std::chrono::nanoseconds(1));
    std::rethrow_exception(error);
  }
}

core::Task<int> LuaUser::perform() {
  Pending& p = pending_;
  const Op op = std::exchange(p.op, Op::kNone);
  switch (op) {
    case Op::kRequest: {
      client::RequestOptions o;
      o.name = p.name;
      o.headers = p.headers;
      o.body = p.body;
      o.json = p.json;
      o.catch_response = p.catch_response;
      o.allow_redirects = p.allow_redirects;
      o.response_body = p.keep_body ? client::ResponseBody::kKeep : client::ResponseBody::kDiscard;
      client::Response r = co_await client().request(p.method, p.url, o);
      push_response(std::move(r), p.keep_body);
      co_return 1;
    }
    case Op::kSleep: {
      const auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(p.sleep_s));
      co_await sleep(d);
      co_return 0;
    }
    case Op::kFlagInt: {
      const std::int64_t v = co_await flags().int_value(p.flag_key, p.flag_default);
      lua_pushnumber(co_, static_cast<lua_Number>(v));
      co_return 1;
    }
    case Op::kFlagBool: {
      const bool v = co_await flags().bool_value(p.flag_key, p.flag_default != 0);
      lua_pushboolean(co_, v ? 1 : 0);
      co_return 1;
    }
    case Op::kNone:
      break;
  }
  // coroutine.yield() in the script itself: resumed at once with nothing.
  lua_settop(co_, 0);
  co_return 0;
}

void LuaUser::push_response(client::Response r, bool body_kept) {
  lua_State* co = co_;
  lua_createtable(co, 0, 4);
  lua_pushinteger(co, r.status_code());
  lua_setfield(co, -2, "status");
  lua_pushboolean(co, r.ok() ? 1 : 0);
  lua_setfield(co, -2, "ok");
  lua_pushnumber(co, static_cast<double>(generation_));
  lua_setfield(co, -2, "_g");
  lua_pushnumber(co, static_cast<double>(first_response_ + responses_.size()));
  lua_setfield(co, -2, "_i");
  lua_rawgeti(co, LUA_REGISTRYINDEX, interp_->refs.resp_mt);
  lua_setmetatable(co, -2);
  if (responses_.size() == kLiveResponses) {
    responses_.pop_front();  // records its catch_response verdict, if still pending
    ++first_response_;
  }
  responses_.push_back(Held{std::move(r), body_kept});
}

LuaUser::Held* LuaUser::response(double generation, double index, const char*& why) {
  if (generation != static_cast<double>(generation_)) {
    why = "response: used after the task that made the request ended, or by another user";
    return nullptr;
  }
  if (!(index >= static_cast<double>(first_response_))) {
    why = "response: released: a task keeps only its last 100 responses readable";
    return nullptr;
  }
  const auto i = static_cast<std::uint64_t>(index) - first_response_;
  if (i >= responses_.size()) {
    why = "response: not a response of this task";
    return nullptr;
  }
  return &responses_[i];
}

int LuaUser::open_span(std::string_view name, bool task_span) {
  if (task_span) {
    spans_.push_back(std::make_unique<SpanBox>([&] { return start_task_span(name); }));
  } else {
    spans_.push_back(std::make_unique<SpanBox>([&] { return start_span(name); }));
  }
  return static_cast<int>(spans_.size());
}

SpanScope* LuaUser::span_at(int depth) {
  if (depth < 1 || static_cast<std::size_t>(depth) > spans_.size()) return nullptr;
  return &spans_[static_cast<std::size_t>(depth) - 1]->scope;
}

void LuaUser::close_span(int depth) {
  if (depth < 1) return;
  while (spans_.size() >= static_cast<std::size_t>(depth)) spans_.pop_back();
}

void LuaUser::end_task() {
  while (!spans_.empty()) spans_.pop_back();  // innermost first (during unwinding: unwound)
  responses_.clear();  // catch_response verdicts not given are decided by the status now
  first_response_ = 0;
  generation_ = next_generation();
  pending_.op = Op::kNone;
}

void LuaUser::raise_error() {
  lua_State* co = co_;
  const Interpreter::Refs& refs = interp_->refs;
  auto is = [co](int ref) {
    lua_rawgeti(co, LUA_REGISTRYINDEX, ref);
    const bool eq = lua_rawequal(co, -1, -2) != 0;
    lua_pop(co, 1);
    return eq;
  };
  if (is(refs.stop)) throw StopUser{};
  if (is(refs.reschedule)) throw RescheduleTask{};
  if (is(refs.interrupt)) throw InterruptTaskSet(true);
  if (is(refs.interrupt_wait)) throw InterruptTaskSet(false);
  std::string message;
  bool wrapped = false;
  if (lua_istable(co, -1) && lua_getmetatable(co, -1)) {
    lua_rawgeti(co, LUA_REGISTRYINDEX, refs.err_mt);
    wrapped = lua_rawequal(co, -1, -2) != 0;
    lua_pop(co, 2);
    if (wrapped) {
      lua_getfield(co, -1, "tb");
      if (const char* s = lua_tostring(co, -1)) message = s;
      lua_pop(co, 1);
    }
  }
  if (!wrapped) {
    const char* m = lua_tostring(co, -1);
    lua_State* L = interp_->state();
    luaL_traceback(L, co, m ? m : "(error object is not a string)", 0);
    if (const char* s = lua_tostring(L, -1)) message = s;
    lua_pop(L, 1);
  }
  throw LuaError(message);
}

}  // namespace loadgen::scenario::lua
