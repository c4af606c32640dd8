// Private to the cluster module: the parts of decode() (message_decode.cpp) that its own
// files share: the frame limits, the structural pre-scan (message_prescan.cpp) and the msgpack
// reader primitives (message_reader.cpp). Includes msgpack; include it only from those files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <msgpack.hpp>
#include <string>
#include <string_view>

namespace loadgen::cluster::decode_detail {

using Obj = msgpack::object;

// ---------------------------------------------------------------------------------------------
// Decoding limits and the structural pre-scan (message_prescan.cpp).

constexpr std::size_t kMaxFrame = std::size_t{16} << 20;  // 16 MiB, as transport.hpp
constexpr std::size_t kMaxDepth = 16;                     // containers nested
constexpr std::size_t kMaxContainer = 1'000'000;          // entries of one array or map

// Walks the msgpack structure without building it: every container's declared element count
// must fit in the bytes left (each element takes at least one), nesting within kMaxDepth, sizes
// within kMaxContainer, and the frame must hold exactly one object. Returns "" when sound.
std::string prescan(std::string_view f);

// ---------------------------------------------------------------------------------------------
// Decoding the objects (message_reader.cpp): errors name the field by a path rendered only on
// failure. The readers throw DecodeFailure, which decode() catches.

struct Path {
  const Path* parent = nullptr;
  std::string_view key;  // a map key, or the root's name
  std::int64_t index = -1;

  Path operator/(std::string_view k) const { return Path{this, k, -1}; }
  Path operator[](std::size_t i) const { return Path{this, {}, static_cast<std::int64_t>(i)}; }

  std::string render() const {
    if (parent == nullptr) return std::string(key);  // "data"
    if (index >= 0) return parent->render() + "[" + std::to_string(index) + "]";
    if (parent->parent == nullptr) return std::string(key);  // data's keys need no prefix
    return parent->render() + "." + std::string(key);
  }
};

struct DecodeFailure {
  std::string where, what;
};

[[noreturn]] void fail(const Path& at, std::string what);
std::string kind(const Obj& o);  // "a string", "nil", ... for the error messages
[[noreturn]] void expected(const Path& at, std::string_view what, const Obj& got);

bool is_float(const Obj& o);
std::string_view str_view(const Obj& o);

std::string get_str(const Obj& o, const Path& at);  // valid UTF-8
std::int64_t get_int(const Obj& o, const Path& at);
std::uint64_t get_count(const Obj& o, const Path& at);  // a non-negative integer
std::int64_t get_nonneg_int(const Obj& o, const Path& at);
double get_number(const Obj& o, const Path& at);  // int or float, finite
double get_nonneg_number(const Obj& o, const Path& at);
std::uint64_t get_ms_as_us(const Obj& o, const Path& at);  // Locust's ms (int or float) → µs

const Obj& need_map(const Obj& o, const Path& at);
const Obj& need_array(const Obj& o, const Path& at);

// The value of a string key (the last one, as a Python dict keeps); nullptr when absent.
const Obj* find(const Obj& map, std::string_view key);
const Obj& require(const Obj& map, std::string_view key, const Path& at);  // "missing" if absent

}  // namespace loadgen::cluster::decode_detail
