// message_decode.cpp: decode() of message.hpp, strict and bounded: a pre-scan checks the
// frame's structure (depth, container sizes against the bytes left) before msgpack-c builds
// objects, since msgpack-c allocates a container's slots from its declared size; then every
// field is checked for type and range, and an error names the message type and the field.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <stdexcept>
#include <unordered_set>

#include "cluster/message.hpp"
#include "core/utf8.hpp"

namespace loadgen::cluster {
namespace {

using Obj = msgpack::object;

constexpr double kUsPerMs = 1000.0;

// ---------------------------------------------------------------------------------------------
// Type names.

constexpr MessageType kKnownTypes[] = {MessageType::kClientReady,
                                       MessageType::kAck,
                                       MessageType::kSpawn,
                                       MessageType::kSpawning,
                                       MessageType::kSpawningComplete,
                                       MessageType::kHeartbeat,
                                       MessageType::kStats,
                                       MessageType::kException,
                                       MessageType::kClientStopped,
                                       MessageType::kStop,
                                       MessageType::kQuit,
                                       MessageType::kReconnect};

MessageType type_from_name(std::string_view name) {
  for (MessageType t : kKnownTypes) {
    if (to_string(t) == name) return t;
  }
  return MessageType::kUnknown;
}

// ---------------------------------------------------------------------------------------------
// Decoding limits and the structural pre-scan.

constexpr std::size_t kMaxFrame = std::size_t{16} << 20;  // 16 MiB, as transport.hpp
constexpr std::size_t kMaxDepth = 16;                     // containers nested
constexpr std::size_t kMaxContainer = 1'000'000;          // entries of one array or map
constexpr double kMaxMs = 1e12;                           // ~31 years, in ms

// Walks the msgpack structure without building it: every container's declared element count
// must fit in the bytes left (each element takes at least one), nesting within kMaxDepth, sizes
// within kMaxContainer, and the frame must hold exactly one object. Returns "" when sound.
std::string prescan(std::string_view f) {
  const auto* b = reinterpret_cast<const unsigned char*>(f.data());
  const std::size_t n = f.size();
  std::size_t pos = 0;
  std::vector<std::uint64_t> open{1};  // elements still expected, per open container
  auto be = [&](std::size_t at, std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) v = (v << 8) | b[at + i];
    return v;
  };
  while (!open.empty()) {
    if (open.back() == 0) {
      open.pop_back();
      continue;
    }
    --open.back();
    if (pos >= n) return "truncated frame";
    const unsigned char c = b[pos];
    std::size_t head = 1;        // header bytes
    std::uint64_t body = 0;      // payload bytes after the header
    std::uint64_t children = 0;  // elements of a container
    bool container = false;
    if (c <= 0x7f || c >= 0xe0 || (c >= 0xc0 && c <= 0xc3 && c != 0xc1)) {
      // fixint, negative fixint, nil, false, true
    } else if (c >= 0xa0 && c <= 0xbf) {
      body = c & 0x1fu;
    } else if (c >= 0x90 && c <= 0x9f) {
      container = true;
      children = c & 0x0fu;
    } else if (c >= 0x80 && c <= 0x8f) {
      container = true;
      children = 2u * (c & 0x0fu);
    } else {
      std::size_t width = 0;  // of a length field
      switch (c) {
        case 0xcc:
        case 0xd0:
          body = 1;
          break;
        case 0xcd:
        case 0xd1:
          body = 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          body = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          body = 8;
          break;
        case 0xd4:
          body = 2;
          break;  // fixext: type byte + data
        case 0xd5:
          body = 3;
          break;
        case 0xd6:
          body = 5;
          break;
        case 0xd7:
          body = 9;
          break;
        case 0xd8:
          body = 17;
          break;
        case 0xc4:
        case 0xd9:
        case 0xc7:
          width = 1;
          break;
        case 0xc5:
        case 0xda:
        case 0xc8:
          width = 2;
          break;
        case 0xc6:
        case 0xdb:
        case 0xc9:
          width = 4;
          break;
        case 0xdc:
        case 0xde:
          width = 2;
          container = true;
          break;
        case 0xdd:
        case 0xdf:
          width = 4;
          container = true;
          break;
        default:
          return "invalid byte 0xc1";
      }
      if (width != 0) {
        if (n - pos < 1 + width) return "truncated frame";
        head += width;
        const std::uint64_t len = be(pos + 1, width);
        if (container) {
          children = (c == 0xde || c == 0xdf) ? 2 * len : len;
        } else {
          body = len + ((c >= 0xc7 && c <= 0xc9) ? 1 : 0);  // ext: + type byte
        }
      }
    }
    if (n - pos < head) return "truncated frame";
    pos += head;
    if (container) {
      const bool is_map = (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
      if ((is_map ? children / 2 : children) > kMaxContainer)
        return "a container of more than " + std::to_string(kMaxContainer) + " entries";
      if (children > n - pos) return "truncated frame (a container larger than the frame)";
      if (open.size() > kMaxDepth) return "nested deeper than " + std::to_string(kMaxDepth);
      open.push_back(children);
    } else {
      if (body > n - pos) return "truncated frame";
      pos += static_cast<std::size_t>(body);
    }
  }
  if (pos != n) return "trailing bytes after the message";
  return {};
}

// ---------------------------------------------------------------------------------------------
// Decoding the objects: errors name the field by a path rendered only on failure.

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

// The value of a string key (the last one, as a Python dict keeps); nullptr when absent.
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

ClassCounts get_class_counts(const Obj& o, const Path& at) {
  need_map(o, at);
  ClassCounts out;
  out.reserve(o.via.map.size);
  std::unordered_set<std::string_view> seen;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    std::string cls = get_str(kv.key, at);
    const Path here = at / str_view(kv.key);
    if (!seen.insert(str_view(kv.key)).second) fail(here, "duplicate user class");
    out.emplace_back(std::move(cls), get_nonneg_int(kv.val, here));
  }
  return out;
}

// Keys sorted first: PerSecondCounts appends ascending seconds in O(1), inserts in O(n).
void get_per_second(const Obj& o, const Path& at, stats::PerSecondCounts& out) {
  need_map(o, at);
  std::vector<std::pair<std::int64_t, std::uint64_t>> counts;
  counts.reserve(o.via.map.size);
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    const std::int64_t sec = get_int(kv.key, at);
    const std::string key = std::to_string(sec);
    counts.emplace_back(sec, get_count(kv.val, at / key));
  }
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.reserve(counts.size());
  for (const auto& [sec, n] : counts) out.add(sec, n);
}

std::uint64_t add_checked(std::uint64_t a, std::uint64_t b, const Path& at) {
  if (a > std::numeric_limits<std::uint64_t>::max() - b) fail(at, "counts overflow");
  return a + b;
}

stats::Entry get_entry(const Obj& o, const Path& at) {
  need_map(o, at);
  stats::Entry e;
  e.name = get_str(require(o, "name", at), at / "name");
  // A worker's RequestStats.total is StatsEntry(.., "Aggregated", None) until its first
  // clear_all (stats.py): a nil method reads as "".
  if (const Obj& m = require(o, "method", at); m.type != msgpack::type::NIL)
    e.method = get_str(m, at / "method");
  if (const Obj* v = find(o, "last_request_timestamp"); v && v->type != msgpack::type::NIL)
    e.last_request_timestamp = get_nonneg_number(*v, at / "last_request_timestamp");
  if (const Obj* v = find(o, "start_time")) e.start_time = get_nonneg_number(*v, at / "start_time");
  if (const Obj* v = find(o, "num_requests")) e.num_requests = get_count(*v, at / "num_requests");
  if (const Obj* v = find(o, "num_none_requests")) get_count(*v, at / "num_none_requests");
  if (const Obj* v = find(o, "num_failures")) e.num_failures = get_count(*v, at / "num_failures");
  if (const Obj* v = find(o, "total_content_length"))
    e.total_content_length = get_count(*v, at / "total_content_length");
  if (const Obj* v = find(o, "num_reqs_per_sec"))
    get_per_second(*v, at / "num_reqs_per_sec", e.reqs_per_sec);
  if (const Obj* v = find(o, "num_fail_per_sec"))
    get_per_second(*v, at / "num_fail_per_sec", e.fails_per_sec);

  // Times: loadgen's exact µs when present, else Locust's ms.
  bool have_min = false;
  const Obj* exact = find(o, "loadgen_us");
  std::uint64_t hist_min = 0, hist_max = 0;
  if (exact != nullptr) {
    const Path p = at / "loadgen_us";
    need_array(*exact, p);
    const Obj* us = exact->via.array.ptr;
    if (exact->via.array.size != 5)
      fail(p, "expected [total_us, min_us, max_us, histogram_min_us, histogram_max_us]");
    e.total_response_time_us = get_count(us[0], p[0]);
    e.min_response_time_us = get_count(us[1], p[1]);
    e.max_response_time_us = get_count(us[2], p[2]);
    hist_min = get_count(us[3], p[3]);
    hist_max = get_count(us[4], p[4]);
  } else {
    if (const Obj* t = find(o, "total_response_time"))
      e.total_response_time_us = get_ms_as_us(*t, at / "total_response_time");
    if (const Obj* t = find(o, "max_response_time"))
      e.max_response_time_us = get_ms_as_us(*t, at / "max_response_time");
    if (const Obj* t = find(o, "min_response_time"); t && t->type != msgpack::type::NIL) {
      e.min_response_time_us = get_ms_as_us(*t, at / "min_response_time");
      have_min = true;
    }
  }
  // Histogram: loadgen's buckets when present, else Locust's ms buckets (key × 1000 µs).
  std::uint64_t samples = 0;
  if (const Obj* v = find(o, "loadgen_hist")) {
    const Path p = at / "loadgen_hist";
    need_map(*v, p);
    for (std::uint32_t i = 0; i < v->via.map.size; ++i) {
      const auto& kv = v->via.map.ptr[i];
      const std::uint64_t idx = get_count(kv.key, p);
      const std::string key = std::to_string(idx);
      if (idx >= stats::Histogram::kBucketCount)
        fail(p / key, "bucket index out of range (at most " +
                          std::to_string(stats::Histogram::kBucketCount - 1) + ")");
      const std::uint64_t n = get_count(kv.val, p / key);
      samples = add_checked(samples, n, p / key);
      e.histogram.record(stats::Histogram::bucket_lower(static_cast<std::size_t>(idx)), n);
    }
  } else if (const Obj* rt = find(o, "response_times")) {
    const Path p = at / "response_times";
    need_map(*rt, p);
    for (std::uint32_t i = 0; i < rt->via.map.size; ++i) {
      const auto& kv = rt->via.map.ptr[i];
      const std::uint64_t us = get_ms_as_us(kv.key, p);
      const std::string key = std::to_string(us / 1000);
      const std::uint64_t n = get_count(kv.val, p / key);
      samples = add_checked(samples, n, p / key);
      e.histogram.record(us, n);
    }
  }
  if (exact != nullptr) {
    if (e.num_requests > 0 && e.min_response_time_us > e.max_response_time_us)
      fail(at, "min response time above the max");
    if (!e.histogram.empty() && hist_min > hist_max) fail(at, "histogram min above its max");
    e.histogram.set_min_max(hist_min, hist_max);  // no effect when empty
  } else {
    // Locust's exact min and max bound the histogram, as Entry::log keeps them.
    if (!have_min) e.min_response_time_us = e.histogram.min();  // 0 when empty
    if ((!e.histogram.empty() || e.num_requests > 0) &&
        e.min_response_time_us > e.max_response_time_us)
      fail(at, "min response time above the max");
    e.histogram.set_min_max(e.min_response_time_us, e.max_response_time_us);
  }

  if (const Obj* v = find(o, "loadgen_slow")) {
    const Path p = at / "loadgen_slow";
    need_array(*v, p);
    if (v->via.array.size != 3) fail(p, "expected [trace_id, response_time_us, at]");
    const Obj& id = v->via.array.ptr[0];
    if (id.type != msgpack::type::BIN || id.via.bin.size != 16)
      fail(p[0], "expected 16 bytes, got " + kind(id));
    std::memcpy(e.slow_trace.trace_id.data(), id.via.bin.ptr, 16);
    e.slow_trace.response_time_us = get_count(v->via.array.ptr[1], p[1]);
    e.slow_trace.at = get_nonneg_number(v->via.array.ptr[2], p[2]);
    if (e.slow_trace.at == 0) e.slow_trace = stats::SlowTrace{};  // not known
  }
  return e;
}

StatsReport get_stats(const Obj& data, const Path& at) {
  need_map(data, at);
  StatsReport r;
  {
    const Path p = at / "stats";
    const Obj& list = need_array(require(data, "stats", at), p);
    r.delta.entries.reserve(list.via.array.size);
    for (std::uint32_t i = 0; i < list.via.array.size; ++i)
      r.delta.entries.push_back(get_entry(list.via.array.ptr[i], p[i]));
  }
  if (const Obj* v = find(data, "stats_total"); v && v->type != msgpack::type::NIL)
    r.total = get_entry(*v, at / "stats_total");
  if (const Obj* v = find(data, "errors")) {
    const Path p = at / "errors";
    need_map(*v, p);
    for (std::uint32_t i = 0; i < v->via.map.size; ++i) {
      const auto& kv = v->via.map.ptr[i];
      get_str(kv.key, p);
      const Path row = p / str_view(kv.key);
      need_map(kv.val, row);
      const std::string name = get_str(require(kv.val, "name", row), row / "name");
      const std::string method = get_str(require(kv.val, "method", row), row / "method");
      const std::string error = get_str(require(kv.val, "error", row), row / "error");
      const std::uint64_t n = get_count(require(kv.val, "occurrences", row), row / "occurrences");
      r.delta.errors.add(method, name, error, n);
    }
  }
  if (const Obj* v = find(data, "user_classes_count"))
    r.user_classes_count = get_class_counts(*v, at / "user_classes_count");
  if (const Obj* v = find(data, "user_count")) r.user_count = get_nonneg_int(*v, at / "user_count");
  if (const Obj* v = find(data, "loadgen_exceptions")) {
    const Path p = at / "loadgen_exceptions";
    need_array(*v, p);
    for (std::uint32_t i = 0; i < v->via.array.size; ++i) {
      const Obj& row = need_array(v->via.array.ptr[i], p[i]);
      if (row.via.array.size == 0) fail(p[i], "expected [class, task, message, n]");
      std::vector<std::string> key;
      const std::uint32_t parts = row.via.array.size - 1;
      key.reserve(parts);
      for (std::uint32_t j = 0; j < parts; ++j)
        key.push_back(get_str(row.via.array.ptr[j], p[i][j]));
      r.exceptions.emplace_back(std::move(key), get_count(row.via.array.ptr[parts], p[i][parts]));
    }
  }
  return r;
}

Payload get_payload(MessageType t, const Obj& data) {
  const Path at{nullptr, "data", -1};
  switch (t) {
    case MessageType::kClientReady:
      // Locust's master also tolerates None/-1 from old workers; None reads as "" (rejected
      // upstream like Debian's empty version).
      if (data.type == msgpack::type::NIL) return std::string();
      return get_str(data, at);
    case MessageType::kAck: {
      if (data.type == msgpack::type::NIL) return AckData{};  // pre-index masters (2.12 accepts)
      need_map(data, at);
      AckData a{get_int(require(data, "index", at), at / "index"), std::nullopt};
      if (const Obj* v = find(data, "loadgen"); v && v->type != msgpack::type::NIL) {
        a.loadgen = get_str(*v, at / "loadgen");
      }
      return a;
    }
    case MessageType::kSpawn: {
      need_map(data, at);
      SpawnData d;
      d.timestamp = get_number(require(data, "timestamp", at), at / "timestamp");
      d.user_classes_count =
          get_class_counts(require(data, "user_classes_count", at), at / "user_classes_count");
      if (const Obj* v = find(data, "host"); v && v->type != msgpack::type::NIL)
        d.host = get_str(*v, at / "host");
      if (const Obj* v = find(data, "stop_timeout"); v && v->type != msgpack::type::NIL)
        d.stop_timeout = get_nonneg_number(*v, at / "stop_timeout");
      return d;  // parsed_options: Locust's own option values, not ours to apply
    }
    case MessageType::kSpawningComplete: {
      need_map(data, at);
      SpawningCompleteData d;
      d.user_classes_count =
          get_class_counts(require(data, "user_classes_count", at), at / "user_classes_count");
      d.user_count = get_nonneg_int(require(data, "user_count", at), at / "user_count");
      return d;
    }
    case MessageType::kHeartbeat: {
      if (data.type == msgpack::type::NIL) return std::monostate{};  // a master's (>= 2.19)
      need_map(data, at);
      HeartbeatData d;
      d.state = get_str(require(data, "state", at), at / "state");
      d.current_cpu_usage =
          get_nonneg_number(require(data, "current_cpu_usage", at), at / "current_cpu_usage");
      if (const Obj* v = find(data, "current_memory_usage"))  // optional for Locust's master
        d.current_memory_usage = get_nonneg_int(*v, at / "current_memory_usage");
      if (const Obj* v = find(data, "loadgen"); v && v->type == msgpack::type::BOOLEAN)
        d.loadgen = v->via.boolean;
      return d;
    }
    case MessageType::kStats:
      return get_stats(data, at);
    case MessageType::kException: {
      need_map(data, at);
      ExceptionData d;
      d.msg = get_str(require(data, "msg", at), at / "msg");
      d.traceback = get_str(require(data, "traceback", at), at / "traceback");
      return d;
    }
    case MessageType::kSpawning:
    case MessageType::kClientStopped:
    case MessageType::kStop:
    case MessageType::kQuit:
    case MessageType::kReconnect:
    case MessageType::kUnknown:
      return std::monostate{};  // data ignored, as Locust ignores it
  }
  return std::monostate{};
}

core::Error protocol_error(std::string message) {
  return core::make_error("protocol", std::move(message),
                          "the peer does not speak Locust 2.12's master/worker protocol");
}

}  // namespace

core::Result<Message> decode(std::string_view frame) {
  if (frame.size() > kMaxFrame)
    return protocol_error("message: a frame of " + std::to_string(frame.size()) +
                          " bytes, above the limit of " + std::to_string(kMaxFrame));
  if (std::string err = prescan(frame); !err.empty()) return protocol_error("message: " + err);

  msgpack::object_handle handle;
  try {
    const msgpack::unpack_limit limits(kMaxContainer, kMaxContainer, kMaxFrame, kMaxFrame,
                                       kMaxFrame, kMaxDepth + 1);
    handle = msgpack::unpack(
        frame.data(), frame.size(),
        [](msgpack::type::object_type, std::size_t, void*) { return true; }, nullptr, limits);
  } catch (const std::exception& e) {
    return protocol_error(std::string("message: undecodable msgpack: ") + e.what());
  }
  const Obj& root = handle.get();
  if (root.type != msgpack::type::ARRAY || root.via.array.size != 3)
    return protocol_error("message: expected an array [type, data, node_id], got " +
                          (root.type == msgpack::type::ARRAY
                               ? "an array of " + std::to_string(root.via.array.size)
                               : kind(root)));
  const Obj& type = root.via.array.ptr[0];
  const Obj& node = root.via.array.ptr[2];
  if (type.type != msgpack::type::STR)
    return protocol_error("message: type: expected a string, got " + kind(type));
  Message m;
  m.type_name = std::string(str_view(type));
  if (!core::is_valid_utf8(m.type_name))
    return protocol_error("message: type: a string that is not valid UTF-8");
  m.type = type_from_name(m.type_name);
  const std::string label =
      m.type == MessageType::kUnknown ? "message '" + m.type_name + "'" : m.type_name;
  // Locust always sends its node id as a str (client_id, or the master's client.id).
  if (node.type != msgpack::type::STR)
    return protocol_error(label + ": node_id: expected a string, got " + kind(node));
  m.node_id = std::string(str_view(node));
  if (!core::is_valid_utf8(m.node_id))
    return protocol_error(label + ": node_id: a string that is not valid UTF-8");
  try {
    m.data = get_payload(m.type, root.via.array.ptr[1]);
  } catch (const DecodeFailure& f) {
    return protocol_error(label + ": " + f.where + ": " + f.what);
  } catch (const std::exception& e) {  // allocation failure
    return protocol_error(label + ": " + e.what());
  }
  return m;
}

}  // namespace loadgen::cluster
