// The C side of the Lua API. Every function is a closure over its Interpreter (upvalue 1); those
// that act for a user find it in Interpreter::current (the user whose coroutine runs). Those
// that must wait (request, sleep, flag) store what to do in the user's Pending and yield: the
// user's C++ task performs it on the event loop and resumes the coroutine with the result.
#include "scenario/lua/bindings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/json_string.hpp"
#include "core/uuid.hpp"
#include "scenario/lua/interpreter.hpp"
#include "scenario/lua/lua_user.hpp"

namespace loadgen::scenario::lua {

namespace {

Interpreter& interp(lua_State* L) {
  return *static_cast<Interpreter*>(lua_touserdata(L, lua_upvalueindex(1)));
}

LuaUser& user(lua_State* L, const char* what) {
  LuaUser* u = interp(L).current;
  if (u == nullptr) luaL_error(L, "%s: only inside a task (not while the file loads)", what);
  return *u;
}

// The user, for what yields to the event loop: only the user's own coroutine may (a yield from
// a coroutine the task created would go to the task, not to loadgen).
LuaUser& yielding_user(lua_State* L, const char* what) {
  LuaUser& u = user(L, what);
  if (L != u.thread())
    luaL_error(L, "%s: call it from the task itself, not from a coroutine the task created", what);
  return u;
}

std::string_view check_sv(lua_State* L, int i) {
  std::size_t n = 0;
  const char* s = luaL_checklstring(L, i, &n);
  return {s, n};
}

// RFC 3986 unreserved characters stay; everything else is %XX (form and query encoding).
void append_urlencoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
}

// A table of string keys and scalar values as k=v&k=v (keys sorted, so every run sends the same).
void append_form(lua_State* L, int t, std::string& out, const char* what) {
  std::vector<std::pair<std::string, std::string>> kv;
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "%s: keys must be strings", what);
    std::string v;
    if (lua_type(L, -1) == LUA_TBOOLEAN) {
      v = lua_toboolean(L, -1) ? "true" : "false";
    } else if (lua_type(L, -1) == LUA_TNUMBER || lua_type(L, -1) == LUA_TSTRING) {
      lua_pushvalue(L, -1);  // lua_tolstring on a number key would change it in place
      std::size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      v.assign(s, n);
      lua_pop(L, 1);
    } else {
      luaL_error(L, "%s: values must be strings, numbers or booleans", what);
    }
    kv.emplace_back(lua_tostring(L, -2), std::move(v));
    lua_pop(L, 1);
  }
  std::sort(kv.begin(), kv.end());
  for (const auto& [k, v] : kv) {
    if (!out.empty() && out.back() != '?') out.push_back('&');
    append_urlencoded(out, k);
    out.push_back('=');
    append_urlencoded(out, v);
  }
}

// client:get(url, opts) & co.: request(METHOD, url, opts).
int l_request(lua_State* L) {
  LuaUser& u = yielding_user(L, "client");
  LuaUser::Pending& p = u.pending();
  const auto method = http::parse_method(check_sv(L, 1));
  if (!method) return luaL_error(L, "client:request: unknown method '%s'", lua_tostring(L, 1));
  p.method = *method;
  const std::string_view url = check_sv(L, 2);
  p.url.assign(url.data(), url.size());
  p.name.clear();
  p.body.clear();
  p.json.clear();
  p.header_text.clear();
  p.headers.clear();
  p.catch_response = false;
  p.allow_redirects = true;
  p.keep_body = interp(L).script().reads_responses;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "name");
    if (lua_isstring(L, -1)) p.name = lua_tostring(L, -1);
    lua_getfield(L, 3, "catch_response");
    p.catch_response = lua_toboolean(L, -1) != 0;
    lua_getfield(L, 3, "allow_redirects");
    if (!lua_isnil(L, -1)) p.allow_redirects = lua_toboolean(L, -1) != 0;
    lua_getfield(L, 3, "keep_body");
    if (!lua_isnil(L, -1)) p.keep_body = lua_toboolean(L, -1) != 0;
    lua_pop(L, 4);
    if (p.catch_response) p.keep_body = true;
    lua_getfield(L, 3, "params");
    if (lua_istable(L, -1)) {
      p.url.push_back(p.url.find('?') == std::string::npos ? '?' : '&');
      append_form(L, lua_gettop(L), p.url, "params");
    }
    lua_pop(L, 1);
    lua_getfield(L, 3, "json");
    if (lua_type(L, -1) == LUA_TSTRING) {
      p.json = lua_tostring(L, -1);
    } else if (!lua_isnil(L, -1)) {
      std::string err;
      if (!to_json(L, lua_gettop(L), p.json, err)) return luaL_error(L, "json: %s", err.c_str());
    }
    lua_pop(L, 1);
    bool form = false;
    lua_getfield(L, 3, "data");
    if (lua_type(L, -1) == LUA_TSTRING) {
      std::size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      p.body.assign(s, n);
    } else if (lua_istable(L, -1)) {
      append_form(L, lua_gettop(L), p.body, "data");
      form = true;
    }
    lua_pop(L, 1);
    lua_getfield(L, 3, "headers");
    if (lua_istable(L, -1)) {
      const int h = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, h) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
          return luaL_error(L, "headers: names and values must be strings");
        lua_pushvalue(L, -1);
        p.header_text.emplace_back(lua_tostring(L, -3));
        p.header_text.emplace_back(lua_tostring(L, -1));
        lua_pop(L, 2);
      }
    }
    lua_pop(L, 1);
    if (form) {
      p.header_text.emplace_back("Content-Type");
      p.header_text.emplace_back("application/x-www-form-urlencoded");
    }
    for (std::size_t i = 0; i + 1 < p.header_text.size(); i += 2)
      p.headers.push_back(http::Header{p.header_text[i], p.header_text[i + 1]});
  }
  p.op = LuaUser::Op::kRequest;
  return lua_yield(L, 0);
}

int l_sleep(lua_State* L) {
  LuaUser& u = yielding_user(L, "sleep");
  const double s = luaL_checknumber(L, 1);
  if (!(s >= 0 && s <= kMaxWaitSeconds))
    return luaL_error(L, "sleep: seconds must lie in [0, %f]", kMaxWaitSeconds);
  u.pending().sleep_s = s;
  u.pending().op = LuaUser::Op::kSleep;
  return lua_yield(L, 0);
}

// flag("key", default): a boolean default evaluates a boolean flag, a number an integer one.
int l_flag(lua_State* L) {
  LuaUser& u = yielding_user(L, "flag");
  LuaUser::Pending& p = u.pending();
  const std::string_view key = check_sv(L, 1);
  p.flag_key.assign(key.data(), key.size());
  if (lua_type(L, 2) == LUA_TBOOLEAN) {
    p.flag_default = lua_toboolean(L, 2);
    p.op = LuaUser::Op::kFlagBool;
  } else if (lua_type(L, 2) == LUA_TNUMBER) {
    const double d = lua_tonumber(L, 2);
    if (d != std::floor(d) || std::fabs(d) > 9007199254740992.0)
      return luaL_error(L, "flag: the default of an integer flag must be an integer");
    p.flag_default = static_cast<std::int64_t>(d);
    p.op = LuaUser::Op::kFlagInt;
  } else {
    return luaL_error(L, "flag: the default must be a boolean or an integer");
  }
  return lua_yield(L, 0);
}

int l_session_id(lua_State* L) {
  const std::string& s = user(L, "session_id").session_id();
  lua_pushlstring(L, s.data(), s.size());
  return 1;
}

int l_stopping(lua_State* L) {
  lua_pushboolean(L, user(L, "stopping").stopping() ? 1 : 0);
  return 1;
}

int l_uuid(lua_State* L) {
  thread_local core::Rng rng{0x5eed};
  LuaUser* u = interp(L).current;
  const std::string s = core::uuid4(u ? u->rng() : rng);
  lua_pushlstring(L, s.data(), s.size());
  return 1;
}

void set_attribute(lua_State* L, SpanScope& s, int k, int v) {
  const std::string_view key = check_sv(L, k);
  switch (lua_type(L, v)) {
    case LUA_TBOOLEAN:
      s.set(key, lua_toboolean(L, v) != 0);
      break;
    case LUA_TNUMBER: {
      const double d = lua_tonumber(L, v);
      if (d == std::floor(d) && std::fabs(d) < 9.2e18) {
        s.set(key, static_cast<std::int64_t>(d));
      } else {
        s.set(key, d);
      }
      break;
    }
    case LUA_TSTRING:
      s.set(key, check_sv(L, v));
      break;
    default:
      luaL_error(L, "span: attribute '%s' must be a string, number or boolean", lua_tostring(L, k));
  }
}

int open_span(lua_State* L, bool task_span) {
  LuaUser& u = user(L, "span");
  const std::string_view name = check_sv(L, 1);
  const int depth = u.open_span(name, task_span);
  if (lua_istable(L, 2)) {
    SpanScope& s = *u.span_at(depth);
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING) return luaL_error(L, "span: attribute names are strings");
      set_attribute(L, s, lua_gettop(L) - 1, lua_gettop(L));
      lua_pop(L, 1);
    }
  }
  lua_pushinteger(L, depth);
  return 1;
}
int l_span_open(lua_State* L) { return open_span(L, false); }
int l_task_span_open(lua_State* L) { return open_span(L, true); }

SpanScope& span_arg(lua_State* L) {
  SpanScope* s = user(L, "span").span_at(static_cast<int>(luaL_checkinteger(L, 1)));
  if (s == nullptr) luaL_error(L, "span: this span has ended");
  return *s;
}

int l_span_set(lua_State* L) {
  set_attribute(L, span_arg(L), 2, 3);
  return 0;
}

int l_span_error(lua_State* L) {
  span_arg(L).set_error(luaL_optstring(L, 2, "error"));
  return 0;
}

bool is_control(lua_State* L, int i) {
  const Interpreter::Refs& r = interp(L).refs;
  for (const int ref : {r.stop, r.reschedule, r.interrupt, r.interrupt_wait}) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    const bool eq = lua_rawequal(L, -1, i) != 0;
    lua_pop(L, 1);
    if (eq) return true;
  }
  return false;
}

// span_close(depth, ok, err): a task error ends the span as a C++ exception would (status
// ERROR and an `exception` event, trace/exceptions.md); Locust's control flow does not.
int l_span_close(lua_State* L) {
  LuaUser& u = user(L, "span");
  const auto depth = static_cast<int>(luaL_checkinteger(L, 1));
  if (!lua_toboolean(L, 2) && !is_control(L, 3)) {
    if (SpanScope* s = u.span_at(depth)) {
      std::string msg;
      if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "msg");
        if (const char* m = lua_tostring(L, -1)) msg = m;
        lua_pop(L, 1);
      } else if (const char* m = lua_tostring(L, 3)) {
        msg = m;
      }
      s->add_event("exception",
                   {{"exception.type", {std::string("LuaError")}}, {"exception.message", {msg}}});
      s->set_error(msg);
    }
  }
  u.close_span(depth);
  return 0;
}

core::LogLevel log_level(lua_State* L) {
  switch (luaL_checkinteger(L, 1)) {
    case 0:
      return core::LogLevel::kDebug;
    case 2:
      return core::LogLevel::kWarning;
    case 3:
      return core::LogLevel::kError;
    default:
      return core::LogLevel::kInfo;
  }
}

int l_log_enabled(lua_State* L) {
  LuaUser* u = interp(L).current;
  lua_pushboolean(L, u != nullptr && u->log_enabled(log_level(L)) ? 1 : 0);
  return 1;
}

int l_log(lua_State* L) {
  LuaUser* u = interp(L).current;
  if (u == nullptr) return 0;
  const core::LogLevel level = log_level(L);
  if (u->log_enabled(level)) u->emit_log(level, std::string(check_sv(L, 2)));
  return 0;
}

int l_baggage_set(lua_State* L) {
  user(L, "baggage.set").set_baggage(check_sv(L, 1), check_sv(L, 2));
  return 0;
}

int l_json_encode(lua_State* L) {
  std::string out, err;
  luaL_checkany(L, 1);
  if (!to_json(L, 1, out, err)) return luaL_error(L, "json.encode: %s", err.c_str());
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

int l_json_decode(lua_State* L) {
  if (!push_json(L, check_sv(L, 1))) return lua_error(L);
  return 1;
}

// ---- responses ----
LuaUser::Held& held_arg(lua_State* L, int i) {
  luaL_checktype(L, i, LUA_TTABLE);
  lua_getfield(L, i, "_g");
  lua_getfield(L, i, "_i");
  const double g = lua_tonumber(L, -2);
  const double index = lua_tonumber(L, -1);
  lua_pop(L, 2);
  const char* why = "response: not a response";
  LuaUser::Held* r = user(L, "response").response(g, index, why);
  if (r == nullptr) luaL_error(L, "%s", why);
  return *r;
}

client::Response& response_arg(lua_State* L, int i) { return held_arg(L, i).response; }

// The body, or a Lua error when the request did not keep it (loadgen drops the bodies of a
// file that does not seem to read them: a guess from its text, which may miss a read).
std::string_view body_arg(lua_State* L, int i) {
  LuaUser::Held& h = held_arg(L, i);
  if (!h.body_kept)
    luaL_error(L,
               "response: the body of this request was not kept (loadgen drops the bodies a file "
               "does not read): pass keep_body = true to the request, or set keep_bodies = true "
               "at the top of the file");
  return h.response.text();
}

int l_resp_json(lua_State* L) {
  if (!push_json(L, body_arg(L, 1))) return lua_error(L);
  return 1;
}

int l_resp_header(lua_State* L) {
  client::Response& r = response_arg(L, 1);
  const std::string_view v = r.header(check_sv(L, 2));
  if (v.empty()) return 0;
  lua_pushlstring(L, v.data(), v.size());
  return 1;
}

// catch_response: the request is recorded at its verdict (Locust records it when the `with`
// block exits, which is where the verdict is given); a second verdict is ignored.
int l_resp_failure(lua_State* L) {
  client::Response& r = response_arg(L, 1);
  r.failure(luaL_optstring(L, 2, "failed"));
  r.record_now();
  return 0;
}

int l_resp_success(lua_State* L) {
  client::Response& r = response_arg(L, 1);
  r.success();
  r.record_now();
  return 0;
}

// headers["Content-Type"]: looked up (case-insensitive) in the response.
int l_headers_index(lua_State* L) {
  client::Response& r = response_arg(L, 1);
  const std::string_view v = r.header(check_sv(L, 2));
  if (v.empty()) return 0;
  lua_pushlstring(L, v.data(), v.size());
  return 1;
}

int push_sv(lua_State* L, std::string_view s) {
  lua_pushlstring(L, s.data(), s.size());
  return 1;
}

// What a response table does not hold itself: read from the Response when asked.
int l_resp_index(lua_State* L) {
  const std::string_view k = check_sv(L, 2);
  Interpreter& in = interp(L);
  if (k == "json" || k == "header" || k == "failure" || k == "success") {
    lua_pushvalue(L, lua_upvalueindex(2));  // the methods table
    lua_getfield(L, -1, lua_tostring(L, 2));
    return 1;
  }
  if (k == "body" || k == "text") return push_sv(L, body_arg(L, 1));
  if (k == "status_code") {
    lua_getfield(L, 1, "status");
    return 1;
  }
  if (k == "url") return push_sv(L, response_arg(L, 1).url());
  if (k == "error") {
    const std::string_view e = response_arg(L, 1).error();
    if (e.empty()) return 0;
    return push_sv(L, e);
  }
  if (k == "elapsed") {
    lua_pushnumber(L,
                   std::chrono::duration<double, std::milli>(response_arg(L, 1).elapsed()).count());
    return 1;
  }
  if (k == "headers") {
    lua_createtable(L, 0, 2);
    lua_getfield(L, 1, "_g");
    lua_setfield(L, -2, "_g");
    lua_getfield(L, 1, "_i");
    lua_setfield(L, -2, "_i");
    lua_rawgeti(L, LUA_REGISTRYINDEX, in.refs.headers_mt);
    lua_setmetatable(L, -2);
    return 1;
  }
  return 0;
}

void add(lua_State* L, Interpreter* in, const char* name, lua_CFunction f) {
  lua_pushlightuserdata(L, in);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

}  // namespace

void push_bindings(lua_State* L, Interpreter* in) {
  // Response metatables.
  lua_newtable(L);  // methods
  add(L, in, "json", l_resp_json);
  add(L, in, "header", l_resp_header);
  add(L, in, "failure", l_resp_failure);
  add(L, in, "success", l_resp_success);
  lua_newtable(L);  // response metatable
  lua_pushlightuserdata(L, in);
  lua_pushvalue(L, -3);
  lua_pushcclosure(L, l_resp_index, 2);
  lua_setfield(L, -2, "__index");
  in->refs.resp_mt = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pop(L, 1);
  lua_newtable(L);
  add(L, in, "__index", l_headers_index);
  in->refs.headers_mt = luaL_ref(L, LUA_REGISTRYINDEX);

  lua_newtable(L);
  add(L, in, "request", l_request);
  add(L, in, "sleep", l_sleep);
  add(L, in, "flag", l_flag);
  add(L, in, "session_id", l_session_id);
  add(L, in, "uuid", l_uuid);
  add(L, in, "stopping", l_stopping);
  add(L, in, "span_open", l_span_open);
  add(L, in, "task_span_open", l_task_span_open);
  add(L, in, "span_set", l_span_set);
  add(L, in, "span_error", l_span_error);
  add(L, in, "span_close", l_span_close);
  add(L, in, "log", l_log);
  add(L, in, "log_enabled", l_log_enabled);
  add(L, in, "baggage_set", l_baggage_set);
  add(L, in, "json_encode", l_json_encode);
  add(L, in, "json_decode", l_json_decode);
}

}  // namespace loadgen::scenario::lua
