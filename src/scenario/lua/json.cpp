// JSON for Lua scripts: request bodies (json = {...}), response:json(), data.json(), json.*.
// Tables with keys 1..n are arrays, other tables objects with their keys sorted (the same body
// on every run); an empty table is an object.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/json_string.hpp"
#include "scenario/lua/bindings.hpp"

namespace loadgen::scenario::lua {

namespace {

constexpr int kMaxDepth = 64;

bool encode(lua_State* L, int i, std::string& out, std::string& error, int depth) {
  if (depth > kMaxDepth) {
    error = "nested too deeply (or a cycle)";
    return false;
  }
  switch (lua_type(L, i)) {
    case LUA_TNIL:
      out += "null";
      return true;
    case LUA_TBOOLEAN:
      out += lua_toboolean(L, i) ? "true" : "false";
      return true;
    case LUA_TNUMBER: {
      const double d = lua_tonumber(L, i);
      if (!std::isfinite(d)) {
        error = "numbers must be finite";
        return false;
      }
      if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
        fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(d));
      } else {
        fmt::format_to(std::back_inserter(out), "{}", d);
      }
      return true;
    }
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* s = lua_tolstring(L, i, &n);
      core::append_json_string(out, {s, n});
      return true;
    }
    case LUA_TTABLE:
      break;
    default:
      error = fmt::format("a {} has no JSON form", lua_typename(L, lua_type(L, i)));
      return false;
  }
  const int t = i < 0 ? lua_gettop(L) + i + 1 : i;
  const auto n = static_cast<int>(lua_objlen(L, t));
  int count = 0;
  std::vector<std::string> keys;
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    ++count;
    if (lua_type(L, -2) == LUA_TSTRING) keys.emplace_back(lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  if (n > 0 && count == n) {
    out.push_back('[');
    for (int k = 1; k <= n; ++k) {
      if (k > 1) out.push_back(',');
      lua_rawgeti(L, t, k);
      const bool ok = encode(L, -1, out, error, depth + 1);
      lua_pop(L, 1);
      if (!ok) return false;
    }
    out.push_back(']');
    return true;
  }
  if (static_cast<int>(keys.size()) != count) {
    error = "an object's keys must be strings (or a list's keys 1..n)";
    return false;
  }
  std::sort(keys.begin(), keys.end());
  out.push_back('{');
  bool first = true;
  for (const std::string& k : keys) {
    if (!first) out.push_back(',');
    first = false;
    core::append_json_string(out, k);
    out.push_back(':');
    lua_getfield(L, t, k.c_str());
    const bool ok = encode(L, -1, out, error, depth + 1);
    lua_pop(L, 1);
    if (!ok) return false;
  }
  out.push_back('}');
  return true;
}

void push(lua_State* L, const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
    case nlohmann::json::value_t::binary:
      lua_pushnil(L);
      return;
    case nlohmann::json::value_t::boolean:
      lua_pushboolean(L, j.get<bool>() ? 1 : 0);
      return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      lua_pushnumber(L, j.get<double>());
      return;
    case nlohmann::json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case nlohmann::json::value_t::array: {
      lua_createtable(L, static_cast<int>(j.size()), 0);
      int k = 1;
      for (const auto& e : j) {
        push(L, e);
        lua_rawseti(L, -2, k++);
      }
      return;
    }
    case nlohmann::json::value_t::object:
      lua_createtable(L, 0, static_cast<int>(j.size()));
      for (const auto& [k, v] : j.items()) {
        push(L, v);
        lua_setfield(L, -2, k.c_str());
      }
      return;
  }
}

}  // namespace

bool to_json(lua_State* L, int index, std::string& out, std::string& error) {
  return encode(L, index, out, error, 0);
}

bool push_json(lua_State* L, std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    lua_pushstring(L, "not valid JSON");
    return false;
  }
  lua_checkstack(L, kMaxDepth);
  push(L, j);
  return true;
}

}  // namespace loadgen::scenario::lua
