// message.cpp: Locust 2.12's master/worker messages as msgpack (see message.hpp): the type
// names, the encoder (what msgpack-python 1.0 writes for Locust's (type, data, node_id)), and the
// field-by-field comparison. The decoder is message_decode.cpp (with message_prescan.cpp and
// message_reader.cpp).
#include "cluster/message.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <msgpack.hpp>

namespace loadgen::cluster {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

constexpr double kUsPerMs = 1000.0;

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
void put_entry(Packer& p, const stats::Entry& e, bool locust_buckets, bool extensions) {
  const bool slow = extensions && e.slow_trace.known();
  p.pack_map(14u + (extensions ? 2u : 0u) + (slow ? 1u : 0u));
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
  const auto buckets = locust_buckets ? locust_response_times(e.histogram)
                                      : decltype(locust_response_times(e.histogram)){};
  p.pack_map(len32(buckets.size()));
  for (const auto& [ms, n] : buckets) {
    p.pack_uint64(ms);
    p.pack_uint64(n);
  }
  put_str(p, "num_reqs_per_sec");
  put_per_second(p, e.reqs_per_sec);
  put_str(p, "num_fail_per_sec");
  put_per_second(p, e.fails_per_sec);

  if (!extensions) return;
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
  for (const stats::Entry& e : s.delta.entries)
    put_entry(p, e, s.locust_buckets, s.loadgen_extensions);
  put_str(p, "stats_total");
  put_entry(p, s.total ? *s.total : stats_total_of(s.delta), s.locust_buckets,
            s.loadgen_extensions);
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
    case MessageType::kAck: {
      const auto& a = payload_or_default<AckData>(m.data);
      p.pack_map(a.loadgen ? 2 : 1);
      put_str(p, "index");
      p.pack_int64(a.index);
      if (a.loadgen) {
        put_str(p, "loadgen");
        put_str(p, *a.loadgen);
      }
      return;
    }
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
      if (!std::holds_alternative<HeartbeatData>(m.data)) {
        p.pack_nil();  // a master's heartbeat (Locust >= 2.19)
        return;
      }
      const auto& d = std::get<HeartbeatData>(m.data);
      p.pack_map(d.loadgen ? 4 : 3);
      put_str(p, "state");
      put_str(p, d.state);
      put_str(p, "current_cpu_usage");
      p.pack_double(d.current_cpu_usage);
      put_str(p, "current_memory_usage");
      p.pack_int64(d.current_memory_usage);
      if (d.loadgen) {
        put_str(p, "loadgen");
        p.pack_true();
      }
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
    same = k->index == std::get<AckData>(b).index && k->loadgen == std::get<AckData>(b).loadgen;
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
           h->current_memory_usage == y.current_memory_usage && h->loadgen == y.loadgen;
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

}  // namespace loadgen::cluster
