// message.cpp: Locust 2.12's master/worker messages as msgpack (see message.hpp). Encoding
// writes what msgpack-python 1.0 writes for Locust's (type, data, node_id); decoding is strict
// and bounded: a pre-scan checks the frame's structure (depth, container sizes against the
// bytes left) before msgpack-c builds objects, since msgpack-c allocates a container's slots
// from its declared size.
#include "cluster/message.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <stdexcept>
#include <unordered_set>

#include "core/utf8.hpp"

namespace loadgen::cluster {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;
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
// Locust's response-time buckets (stats.py _log_response_time): a value in ms below 100 is
// rounded to 1 ms, below 1000 to 10, below 10000 to 100, else to 1000, half to even (Python's
// round). Done on integer microseconds, which is exact where Python's float rounding is (every
// tie here is an exactly representable float).

std::uint64_t locust_bucket_ms(std::uint64_t us) {
  std::uint64_t unit_us = 1'000;
  if (us >= 10'000'000) {
    unit_us = 1'000'000;
  } else if (us >= 1'000'000) {
    unit_us = 100'000;
  } else if (us >= 100'000) {
    unit_us = 10'000;
  }
  std::uint64_t q = us / unit_us;
  const std::uint64_t r2 = (us % unit_us) * 2;
  if (r2 > unit_us || (r2 == unit_us && (q & 1) != 0)) ++q;
  return q * (unit_us / 1'000);
}

// ---------------------------------------------------------------------------------------------
// Encoding.

std::uint32_t len32(std::size_t n) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

void put_str(Packer& p, std::string_view s) {
  const std::uint32_t n = len32(s.size());
  p.pack_str(n);
  p.pack_str_body(s.data(), n);
}

void put_class_counts(Packer& p, const ClassCounts& counts) {
  p.pack_map(len32(counts.size()));
  for (const auto& [cls, n] : counts) {
    put_str(p, cls);
    p.pack_int64(n);
  }
}

void put_per_second(Packer& p, const stats::PerSecondCounts& c) {
  p.pack_map(len32(c.size()));
  c.for_each([&](std::int64_t sec, std::uint64_t n) {
    p.pack_int64(sec);
    p.pack_uint64(n);
  });
}

// Locust's response_times: each of our buckets' representative (its midpoint clamped to the
// exact min and max, the value Histogram::value_at_rank reports) in Locust's rounded ms bucket,
// counts summed per key. Representatives ascend, so equal keys are adjacent.
std::vector<std::pair<std::uint64_t, std::uint64_t>> locust_response_times(
    const stats::Histogram& h) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  h.for_each_bucket([&](std::uint64_t lo, std::uint64_t hi, std::uint64_t n) {
    const std::uint64_t mid = std::clamp(lo + (hi - lo) / 2, h.min(), h.max());
    const std::uint64_t key = locust_bucket_ms(mid);
    if (!out.empty() && out.back().first == key) {
      out.back().second += n;
    } else {
      out.emplace_back(key, n);
    }
  });
  return out;
}

// StatsEntryDict, keys in Locust's order, then loadgen's exact data (keys a Locust master
// skips: StatsEntry.unserialize sets only StatsEntryDict's keys).
void put_entry(Packer& p, const stats::Entry& e) {
  const bool slow = e.slow_trace.known();
  p.pack_map(16 + (slow ? 1 : 0));
  put_str(p, "name");
  put_str(p, e.name);
  put_str(p, "method");
  put_str(p, e.method);
  put_str(p, "last_request_timestamp");
  if (e.last_request_timestamp == 0) {
    p.pack_nil();
  } else {
    p.pack_double(e.last_request_timestamp);
  }
  put_str(p, "start_time");
  p.pack_double(e.start_time);
  put_str(p, "num_requests");
  p.pack_uint64(e.num_requests);
  put_str(p, "num_none_requests");
  p.pack_uint64(0);
  put_str(p, "num_failures");
  p.pack_uint64(e.num_failures);
  put_str(p, "total_response_time");
  p.pack_double(static_cast<double>(e.total_response_time_us) / kUsPerMs);
  put_str(p, "max_response_time");
  p.pack_double(static_cast<double>(e.max_response_time_us) / kUsPerMs);
  put_str(p, "min_response_time");
  if (e.num_requests == 0) {
    p.pack_nil();
  } else {
    p.pack_double(static_cast<double>(e.min_response_time_us) / kUsPerMs);
  }
  put_str(p, "total_content_length");
  p.pack_uint64(e.total_content_length);
  put_str(p, "response_times");
  const auto buckets = locust_response_times(e.histogram);
  p.pack_map(len32(buckets.size()));
  for (const auto& [ms, n] : buckets) {
    p.pack_uint64(ms);
    p.pack_uint64(n);
  }
  put_str(p, "num_reqs_per_sec");
  put_per_second(p, e.reqs_per_sec);
  put_str(p, "num_fail_per_sec");
  put_per_second(p, e.fails_per_sec);

  put_str(p, "loadgen_hist");  // {bucket index: count}, Histogram's own buckets
  std::size_t used = 0;
  e.histogram.for_each_bucket([&](std::uint64_t, std::uint64_t, std::uint64_t) { ++used; });
  p.pack_map(len32(used));
  e.histogram.for_each_bucket([&](std::uint64_t lo, std::uint64_t, std::uint64_t n) {
    p.pack_uint64(stats::Histogram::bucket_index(lo));
    p.pack_uint64(n);
  });
  // [total, min, max, histogram min, histogram max] in µs, exact (the histogram's bounds are
  // the entry's for entries from Entry::log, but merged or Locust-made ones may differ).
  put_str(p, "loadgen_us");
  p.pack_array(5);
  p.pack_uint64(e.total_response_time_us);
  p.pack_uint64(e.min_response_time_us);
  p.pack_uint64(e.max_response_time_us);
  p.pack_uint64(e.histogram.min());
  p.pack_uint64(e.histogram.max());
  if (slow) {
    put_str(p, "loadgen_slow");  // [trace id (16-byte bin), response time µs, at (epoch s)]
    p.pack_array(3);
    p.pack_bin(16);
    p.pack_bin_body(reinterpret_cast<const char*>(e.slow_trace.trace_id.data()), 16);
    p.pack_uint64(e.slow_trace.response_time_us);
    p.pack_double(e.slow_trace.at);
  }
}

// Error key: unique per (method, name, error) (Locust only merges by it): the lengths keep
// "a.b"+"c" apart from "a"+"b.c".
std::string error_key(const stats::ErrorRow& r) {
  return std::to_string(r.method.size()) + ":" + r.method + "." + std::to_string(r.name.size()) +
         ":" + r.name + "." + r.error;
}

void put_stats(Packer& p, const StatsReport& s) {
  const bool exceptions = !s.exceptions.empty();
  p.pack_map(5 + (exceptions ? 1 : 0));
  put_str(p, "stats");
  p.pack_array(len32(s.delta.entries.size()));
  for (const stats::Entry& e : s.delta.entries) put_entry(p, e);
  put_str(p, "stats_total");
  put_entry(p, s.total ? *s.total : stats_total_of(s.delta));
  put_str(p, "errors");
  std::vector<stats::ErrorRow> rows = s.delta.errors.rows();
  // Overflow rows last, so a decoder that folds again at ErrorTable::kMaxRows keeps the rows.
  std::stable_partition(rows.begin(), rows.end(), [](const stats::ErrorRow& r) {
    return r.error != stats::ErrorTable::kOverflowError;
  });
  p.pack_map(len32(rows.size()));
  for (const stats::ErrorRow& r : rows) {
    put_str(p, error_key(r));
    p.pack_map(4);
    put_str(p, "name");
    put_str(p, r.name);
    put_str(p, "method");
    put_str(p, r.method);
    put_str(p, "error");
    put_str(p, r.error);
    put_str(p, "occurrences");
    p.pack_uint64(r.occurrences);
  }
  put_str(p, "user_classes_count");
  put_class_counts(p, s.user_classes_count);
  put_str(p, "user_count");
  p.pack_int64(s.user_count);
  if (exceptions) {
    put_str(p, "loadgen_exceptions");  // [[class, task, message, n], ...]
    p.pack_array(len32(s.exceptions.size()));
    for (const auto& [key, n] : s.exceptions) {
      p.pack_array(len32(key.size() + 1));
      for (const std::string& part : key) put_str(p, part);
      p.pack_uint64(n);
    }
  }
}

template <class T>
const T& payload_or_default(const Payload& data) {
  static const T kEmpty{};
  const T* v = std::get_if<T>(&data);
  return v != nullptr ? *v : kEmpty;
}

void put_data(Packer& p, const Message& m) {
  switch (m.type) {
    case MessageType::kClientReady:
      put_str(p, payload_or_default<std::string>(m.data));
      return;
    case MessageType::kAck:
      p.pack_map(1);
      put_str(p, "index");
      p.pack_int64(payload_or_default<AckData>(m.data).index);
      return;
    case MessageType::kSpawn: {
      // Everything a 2.12 worker reads (runners.py worker(): timestamp, host, stop_timeout,
      // parsed_options, user_classes_count). stop_timeout is an int in Locust (argparse int).
      const auto& d = payload_or_default<SpawnData>(m.data);
      p.pack_map(5);
      put_str(p, "timestamp");
      p.pack_double(d.timestamp);
      put_str(p, "user_classes_count");
      put_class_counts(p, d.user_classes_count);
      put_str(p, "host");
      if (d.host) {
        put_str(p, *d.host);
      } else {
        p.pack_nil();
      }
      put_str(p, "stop_timeout");
      if (!d.stop_timeout) {
        p.pack_nil();
      } else if (const double t = *d.stop_timeout;
                 std::isfinite(t) && std::trunc(t) == t && std::fabs(t) < 9.0e15) {
        p.pack_int64(static_cast<std::int64_t>(t));
      } else {
        p.pack_double(t);
      }
      put_str(p, "parsed_options");
      p.pack_map(0);
      return;
    }
    case MessageType::kSpawningComplete: {
      const auto& d = payload_or_default<SpawningCompleteData>(m.data);
      p.pack_map(2);
      put_str(p, "user_classes_count");
      put_class_counts(p, d.user_classes_count);
      put_str(p, "user_count");
      p.pack_int64(d.user_count);
      return;
    }
    case MessageType::kHeartbeat: {
      const auto& d = payload_or_default<HeartbeatData>(m.data);
      p.pack_map(3);
      put_str(p, "state");
      put_str(p, d.state);
      put_str(p, "current_cpu_usage");
      p.pack_double(d.current_cpu_usage);
      put_str(p, "current_memory_usage");
      p.pack_int64(d.current_memory_usage);
      return;
    }
    case MessageType::kStats:
      put_stats(p, payload_or_default<StatsReport>(m.data));
      return;
    case MessageType::kException: {
      const auto& d = payload_or_default<ExceptionData>(m.data);
      p.pack_map(2);
      put_str(p, "msg");
      put_str(p, d.msg);
      put_str(p, "traceback");
      put_str(p, d.traceback);
      return;
    }
    case MessageType::kSpawning:
    case MessageType::kClientStopped:
    case MessageType::kStop:
    case MessageType::kQuit:
    case MessageType::kReconnect:
    case MessageType::kUnknown:
      p.pack_nil();
      return;
  }
  p.pack_nil();
}

// ---------------------------------------------------------------------------------------------
// Decoding limits and the structural pre-scan.

constexpr std::size_t kMaxFrame = std::size_t{64} << 20;  // 64 MiB
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
    case MessageType::kAck:
      if (data.type == msgpack::type::NIL) return AckData{};  // pre-index masters (2.12 accepts)
      need_map(data, at);
      return AckData{get_int(require(data, "index", at), at / "index")};
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
      need_map(data, at);
      HeartbeatData d;
      d.state = get_str(require(data, "state", at), at / "state");
      d.current_cpu_usage =
          get_nonneg_number(require(data, "current_cpu_usage", at), at / "current_cpu_usage");
      if (const Obj* v = find(data, "current_memory_usage"))  // optional for Locust's master
        d.current_memory_usage = get_nonneg_int(*v, at / "current_memory_usage");
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

std::string hist_difference(const stats::Histogram& a, const stats::Histogram& b) {
  if (a.count() != b.count()) return "histogram count";
  if (a.min() != b.min() || a.max() != b.max()) return "histogram min/max";
  std::vector<std::pair<std::uint64_t, std::uint64_t>> x, y;
  a.for_each_bucket(
      [&](std::uint64_t lo, std::uint64_t, std::uint64_t n) { x.emplace_back(lo, n); });
  b.for_each_bucket(
      [&](std::uint64_t lo, std::uint64_t, std::uint64_t n) { y.emplace_back(lo, n); });
  return x == y ? "" : "histogram buckets";
}

std::vector<std::pair<std::int64_t, std::uint64_t>> per_second(const stats::PerSecondCounts& c) {
  std::vector<std::pair<std::int64_t, std::uint64_t>> out;
  c.for_each([&](std::int64_t sec, std::uint64_t n) { out.emplace_back(sec, n); });
  return out;
}

std::string entry_difference(const stats::Entry& a, const stats::Entry& b) {
  if (a.method != b.method || a.name != b.name) return "method/name";
  if (a.num_requests != b.num_requests) return "num_requests";
  if (a.num_failures != b.num_failures) return "num_failures";
  if (a.total_response_time_us != b.total_response_time_us) return "total_response_time_us";
  if (a.min_response_time_us != b.min_response_time_us) return "min_response_time_us";
  if (a.max_response_time_us != b.max_response_time_us) return "max_response_time_us";
  if (a.total_content_length != b.total_content_length) return "total_content_length";
  if (a.start_time != b.start_time) return "start_time";
  if (a.last_request_timestamp != b.last_request_timestamp) return "last_request_timestamp";
  if (std::string d = hist_difference(a.histogram, b.histogram); !d.empty()) return d;
  if (per_second(a.reqs_per_sec) != per_second(b.reqs_per_sec)) return "reqs_per_sec";
  if (per_second(a.fails_per_sec) != per_second(b.fails_per_sec)) return "fails_per_sec";
  if (a.slow_trace.trace_id != b.slow_trace.trace_id ||
      a.slow_trace.response_time_us != b.slow_trace.response_time_us ||
      a.slow_trace.at != b.slow_trace.at)
    return "slow_trace";
  return "";
}

std::string rows_difference(const stats::ErrorTable& a, const stats::ErrorTable& b) {
  const auto x = a.rows();
  const auto y = b.rows();
  if (x.size() != y.size()) return "errors: row count";
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i].method != y[i].method || x[i].name != y[i].name || x[i].error != y[i].error ||
        x[i].occurrences != y[i].occurrences)
      return "errors[" + std::to_string(i) + "]";
  }
  return a.total() == b.total() ? "" : "errors: total";
}

std::string stats_difference(const StatsReport& x, const StatsReport& y) {
  if (x.delta.entries.size() != y.delta.entries.size()) return "stats: entry count";
  for (std::size_t i = 0; i < x.delta.entries.size(); ++i) {
    if (std::string d = entry_difference(x.delta.entries[i], y.delta.entries[i]); !d.empty())
      return "stats[" + std::to_string(i) + "]." + d;
  }
  if (x.total.has_value() != y.total.has_value()) return "stats_total: presence";
  if (x.total) {
    if (std::string d = entry_difference(*x.total, *y.total); !d.empty()) return "stats_total." + d;
  }
  if (std::string d = rows_difference(x.delta.errors, y.delta.errors); !d.empty()) return d;
  if (x.user_classes_count != y.user_classes_count) return "user_classes_count";
  if (x.user_count != y.user_count) return "user_count";
  if (x.exceptions != y.exceptions) return "loadgen_exceptions";
  return "";
}

std::string payload_difference(const Payload& a, const Payload& b) {
  if (a.index() != b.index()) return "data: payload kind";
  bool same = true;
  if (const auto* s = std::get_if<std::string>(&a)) {
    same = *s == std::get<std::string>(b);
  } else if (const auto* k = std::get_if<AckData>(&a)) {
    same = k->index == std::get<AckData>(b).index;
  } else if (const auto* sp = std::get_if<SpawnData>(&a)) {
    const auto& y = std::get<SpawnData>(b);
    same = sp->timestamp == y.timestamp && sp->user_classes_count == y.user_classes_count &&
           sp->host == y.host && sp->stop_timeout == y.stop_timeout;
  } else if (const auto* sc = std::get_if<SpawningCompleteData>(&a)) {
    const auto& y = std::get<SpawningCompleteData>(b);
    same = sc->user_classes_count == y.user_classes_count && sc->user_count == y.user_count;
  } else if (const auto* h = std::get_if<HeartbeatData>(&a)) {
    const auto& y = std::get<HeartbeatData>(b);
    same = h->state == y.state && h->current_cpu_usage == y.current_cpu_usage &&
           h->current_memory_usage == y.current_memory_usage;
  } else if (const auto* e = std::get_if<ExceptionData>(&a)) {
    const auto& y = std::get<ExceptionData>(b);
    same = e->msg == y.msg && e->traceback == y.traceback;
  } else if (const auto* r = std::get_if<StatsReport>(&a)) {
    return stats_difference(*r, std::get<StatsReport>(b));
  }
  return same ? "" : "data";
}

}  // namespace

std::string message_difference(const Message& a, const Message& b) {
  if (a.type != b.type) return "type";
  if (a.type_name != b.type_name) return "type_name";
  if (a.node_id != b.node_id) return "node_id";
  return payload_difference(a.data, b.data);
}

std::string_view to_string(MessageType t) {
  switch (t) {
    case MessageType::kClientReady:
      return "client_ready";
    case MessageType::kAck:
      return "ack";
    case MessageType::kSpawn:
      return "spawn";
    case MessageType::kSpawning:
      return "spawning";
    case MessageType::kSpawningComplete:
      return "spawning_complete";
    case MessageType::kHeartbeat:
      return "heartbeat";
    case MessageType::kStats:
      return "stats";
    case MessageType::kException:
      return "exception";
    case MessageType::kClientStopped:
      return "client_stopped";
    case MessageType::kStop:
      return "stop";
    case MessageType::kQuit:
      return "quit";
    case MessageType::kReconnect:
      return "reconnect";
    case MessageType::kUnknown:
      return "";
  }
  return "";
}

stats::Entry stats_total_of(const stats::Snapshot& delta) {
  stats::Entry total;
  total.name = "Aggregated";
  for (const stats::Entry& e : delta.entries) {
    if (e.method != stats::kIterationMethod) total.merge(e);
  }
  return total;
}

std::string encode(const Message& m) {
  msgpack::sbuffer buf;
  Packer p(buf);
  p.pack_array(3);
  put_str(p, m.type == MessageType::kUnknown ? std::string_view(m.type_name) : to_string(m.type));
  put_data(p, m);
  put_str(p, m.node_id);
  return std::string(buf.data(), buf.size());
}

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
