// message_decode.cpp: decode() of message.hpp, strict and bounded: a pre-scan checks the
// frame's structure (depth, container sizes against the bytes left) before msgpack-c builds
// objects, since msgpack-c allocates a container's slots from its declared size; then every
// field is checked for type and range, and an error names the message type and the field.
// The frame's pre-scan is message_prescan.cpp, the msgpack reader primitives message_reader.cpp.
#include <algorithm>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <stdexcept>
#include <unordered_set>

#include "cluster/message.hpp"
#include "cluster/message_decode_impl.hpp"
#include "core/utf8.hpp"

namespace loadgen::cluster {

using namespace decode_detail;  // NOLINT(google-build-using-namespace): this file's helpers

namespace {

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
// The per-message decoders.

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
