// message_reader.cpp: decode()'s msgpack reader primitives: typed, range-checked reads of
// one object, failing with the field's path (message_decode_impl.hpp).
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "cluster/message_decode_impl.hpp"
#include "core/utf8.hpp"

namespace loadgen::cluster::decode_detail {

namespace {

constexpr double kUsPerMs = 1000.0;
constexpr double kMaxMs = 1e12;  // ~31 years, in ms

}  // namespace

[[noreturn]] void fail(const Path& at, std::string what) {
  throw DecodeFailure{at.render(), std::move(what)};
}

std::string kind(const Obj& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "a boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
      return "an integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "a float";
    case msgpack::type::STR:
      return "a string";
    case msgpack::type::BIN:
      return "bytes";
    case msgpack::type::ARRAY:
      return "an array";
    case msgpack::type::MAP:
      return "a map";
    case msgpack::type::EXT:
      return "an extension";
  }
  return "an unknown object";
}

[[noreturn]] void expected(const Path& at, std::string_view what, const Obj& got) {
  fail(at, "expected " + std::string(what) + ", got " + kind(got));
}

bool is_float(const Obj& o) {
  return o.type == msgpack::type::FLOAT32 || o.type == msgpack::type::FLOAT64;
}

std::string_view str_view(const Obj& o) { return {o.via.str.ptr, o.via.str.size}; }

std::string get_str(const Obj& o, const Path& at) {
  if (o.type != msgpack::type::STR) expected(at, "a string", o);
  const std::string_view s = str_view(o);
  if (!core::is_valid_utf8(s)) fail(at, "a string that is not valid UTF-8");
  return std::string(s);
}

std::int64_t get_int(const Obj& o, const Path& at) {
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  if (o.type != msgpack::type::POSITIVE_INTEGER) expected(at, "an integer", o);
  if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    fail(at, "integer out of range");
  return static_cast<std::int64_t>(o.via.u64);
}

std::uint64_t get_count(const Obj& o, const Path& at) {  // a non-negative integer
  if (o.type == msgpack::type::NEGATIVE_INTEGER)
    fail(at, "expected a count, got a negative integer");
  if (o.type != msgpack::type::POSITIVE_INTEGER) expected(at, "an integer", o);
  return o.via.u64;
}

std::int64_t get_nonneg_int(const Obj& o, const Path& at) {
  const std::int64_t v = get_int(o, at);
  if (v < 0) fail(at, "expected a count, got a negative integer");
  return v;
}

double get_number(const Obj& o, const Path& at) {  // int or float, finite
  double v = 0;
  if (is_float(o)) {
    v = o.via.f64;
  } else if (o.type == msgpack::type::POSITIVE_INTEGER) {
    v = static_cast<double>(o.via.u64);
  } else if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    v = static_cast<double>(o.via.i64);
  } else {
    expected(at, "a number", o);
  }
  if (!std::isfinite(v)) fail(at, "expected a finite number");
  return v;
}

double get_nonneg_number(const Obj& o, const Path& at) {
  const double v = get_number(o, at);
  if (v < 0) fail(at, "expected a number >= 0");
  return v;
}

std::uint64_t get_ms_as_us(const Obj& o, const Path& at) {  // Locust's ms (int or float) → µs
  const double ms = get_nonneg_number(o, at);
  if (ms > kMaxMs)
    fail(at, "a duration beyond " + std::to_string(static_cast<long long>(kMaxMs)) + " ms");
  return static_cast<std::uint64_t>(std::llround(ms * kUsPerMs));
}

const Obj& need_map(const Obj& o, const Path& at) {
  if (o.type != msgpack::type::MAP) expected(at, "a map", o);
  return o;
}
const Obj& need_array(const Obj& o, const Path& at) {
  if (o.type != msgpack::type::ARRAY) expected(at, "an array", o);
  return o;
}

const Obj* find(const Obj& map, std::string_view key) {
  const Obj* found = nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && str_view(kv.key) == key) found = &kv.val;
  }
  return found;
}
const Obj& require(const Obj& map, std::string_view key, const Path& at) {
  const Obj* v = find(map, key);
  if (v == nullptr) fail(at / key, "missing");
  return *v;
}

}  // namespace loadgen::cluster::decode_detail
