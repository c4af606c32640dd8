// Locust 2.12's master/worker messages (rpc/protocol.py, runners.py; ../shared/reference/locust.md
// §2): a closed set of types and their payloads, and the msgpack codec for them. The codec is
// the parser of outside input (fuzzed): any byte string gives a message or an error that names
// what was wrong, never a crash. msgpack stays inside cluster/*.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "stats/shard.hpp"

namespace loadgen::cluster {

enum class MessageType {
  kClientReady,       // W→M data: version string
  kAck,               // M→W data: {"index": int}
  kSpawn,             // M→W data: SpawnData
  kSpawning,          // W→M data: nil
  kSpawningComplete,  // W→M data: {"user_classes_count": {cls: n}, "user_count": n}
  kHeartbeat,         // W→M data: HeartbeatData (M→W in Locust >= 2.19, data nil)
  kStats,             // W→M data: StatsReport
  kException,         // W→M data: {"msg": str, "traceback": str}
  kClientStopped,     // W→M data: nil
  kStop,              // M→W data: nil
  kQuit,              // both ways, data: nil
  kReconnect,         // M→W data: nil
  kUnknown,           // any other type name (a newer Locust's, or a custom one): kept by name
};

std::string_view to_string(MessageType t);  // the wire name ("client_ready"); "" for kUnknown

// Per-class user counts in the order they came (Locust's dict order).
using ClassCounts = std::vector<std::pair<std::string, std::int64_t>>;

struct AckData {
  std::int64_t index = 0;
  // loadgen's master adds its version under "loadgen" (a Locust worker reads only "index"): a
  // loadgen worker then sends its exceptions as exact counts and no Locust buckets.
  std::optional<std::string> loadgen{};
};
struct SpawnData {
  double timestamp = 0;  // epoch seconds: a worker ignores a spawn not newer than the last one
  ClassCounts user_classes_count;   // absolute targets, every class
  std::optional<std::string> host;  // nil: the worker keeps its own
  std::optional<double> stop_timeout;
};
struct SpawningCompleteData {
  ClassCounts user_classes_count;
  std::int64_t user_count = 0;
};
struct HeartbeatData {
  std::string state;                      // "ready" | "spawning" | "running" | "stopped" ...
  double current_cpu_usage = 0;           // percent of one core
  std::int64_t current_memory_usage = 0;  // RSS bytes
  // A loadgen worker acked by a loadgen master says so ("loadgen": true, ignored by Locust's
  // master); that master then heartbeats to it every second (as Locust >= 2.19 masters do), so
  // the worker notices a master that is gone. A master's own heartbeat has nil data.
  bool loadgen = false;
};
struct ExceptionData {
  std::string msg, traceback;
};
// A worker's stats report: the delta since its previous report (Locust's get_stripped_report).
struct StatsReport {
  stats::Snapshot delta;  // entries (ITER rows included) and errors
  // Locust's stats_total (name "Aggregated", method ""); the master ignores it when it has
  // the entries (the Aggregate rebuilds its total from them).
  std::optional<stats::Entry> total;
  ClassCounts user_classes_count;
  std::int64_t user_count = 0;
  // loadgen's own keys (a Locust master ignores them): the exceptions since the last report
  // counted exactly as (class, task, message) -> n, and the open model's dropped iterations.
  std::vector<std::pair<std::vector<std::string>, std::uint64_t>> exceptions;
  // Encoding only: false sends "response_times" as an empty map (for a loadgen master, which
  // reads loadgen_hist; a Locust master needs the buckets). Not decoded.
  bool locust_buckets = true;
  // Encoding only: false leaves loadgen's exact histogram out of the entries (a Locust master
  // ignores it: a loadgen worker sends it only to a loadgen master). Not decoded.
  bool loadgen_extensions = true;
};

using Payload = std::variant<std::monostate,  // nil / not decoded (kUnknown)
                             std::string,     // kClientReady: the version
                             AckData, SpawnData, SpawningCompleteData, HeartbeatData, ExceptionData,
                             StatsReport>;

struct Message {
  MessageType type = MessageType::kUnknown;
  std::string type_name;  // as on the wire (set for every type, needed for kUnknown)
  Payload data;
  std::string node_id;
};

// msgpack of [type, data, node_id], as msgpack-python 1.0 writes it (use_bin_type, float64).
// The wire type name is to_string(type), or type_name for kUnknown (whose data goes as nil).
// When `data` does not hold the type's payload, an empty payload of that type is written.
// Stats entries are written as Locust's StatsEntryDict: times in ms as floats,
// response_times keyed by Locust's rounded ms buckets (ints: each histogram bucket's midpoint
// clamped to the exact min/max, rounded as Locust rounds), num_reqs_per_sec keyed by epoch
// second; plus loadgen's exact data under keys a Locust master ignores:
//   "loadgen_hist": {Histogram bucket index: count},
//   "loadgen_us": [total, min, max, histogram min, histogram max] (µs),
//   "loadgen_slow": [trace id (16-byte bin), response time µs, at] (only a known SlowTrace);
// and at the top level "loadgen_exceptions": [[class, task, message, n], ...] (when any).
// stats_total is `total`, or stats_total_of(delta) when it has none (a Locust master needs it).
std::string encode(const Message& m);

// Locust's stats_total of a delta: the sum of its entries except the ITER rows
// (stats::kIterationMethod), name "Aggregated", method "".
stats::Entry stats_total_of(const stats::Snapshot& delta);

// Decodes one frame. Errors (code "protocol") name the message type and the field
// ("stats: stats[3].num_requests: expected an integer, got a string"). Accepts what a Locust
// 2.12 worker or master sends: float or int times and bucket keys, nil
// min_response_time/last_request_timestamp/stats_total, missing optional keys, unknown keys
// (ignored). Entries are rebuilt exactly from loadgen_hist/loadgen_us when present, else from
// Locust's ms buckets (each key recorded as key × 1000 µs) and ms totals. Unknown type names
// give kUnknown with data monostate. Bounded: frame <= 64 MiB, nesting <= 16, <= 1e6 entries
// per array or map, and no container may declare more entries than the bytes left.
core::Result<Message> decode(std::string_view frame);

// Field-by-field comparison of two messages (entries with their histograms, per-second counts,
// slow traces; errors as ErrorTable::rows()): "" when equal, else the first field that differs
// ("stats[2].histogram buckets"). For tests and the fuzzer.
std::string message_difference(const Message& a, const Message& b);

}  // namespace loadgen::cluster
