// The C functions of the Lua API (client requests, sleep, flags, spans, logs, baggage, JSON),
// handed to prelude.lua as one table. Private to scenario/lua.
#pragma once

#include <lua.hpp>
#include <string>

namespace loadgen::scenario::lua {

class Interpreter;

// Pushes the table of C functions (each a closure over `in`); also creates the response
// metatables and stores them in in->refs.
void push_bindings(lua_State* L, Interpreter* in);

// Converts the Lua value at `index` to JSON text appended to `out`; false (with `error` set)
// for values JSON has no form for (functions, cycles, non-string keys in an object...).
bool to_json(lua_State* L, int index, std::string& out, std::string& error);
// Pushes the Lua form of JSON `text` (objects and arrays as tables, null as nil); false with
// an error message pushed instead when the text is not JSON.
bool push_json(lua_State* L, std::string_view text);

}  // namespace loadgen::scenario::lua
