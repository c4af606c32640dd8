// Test tool for codec_locust_check.py, which holds the codec against Locust's own Python.
//   cluster_codec_tool encode  prints a fixed set of messages of every type, one a line:
//                              "<hex of encode()>\t<JSON of what Locust should read from it>"
//   cluster_codec_tool decode  reads hex frames from stdin, one a line, and prints one JSON
//                              line per frame: what decode() made of it, or its error.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/message.hpp"
#include "core/json_string.hpp"

namespace {

using namespace loadgen;  // NOLINT(google-build-using-namespace): a test tool

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string js(std::string_view s) {
  std::string out;
  core::append_json_string(out, s);
  return out;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string per_second(const stats::PerSecondCounts& c) {
  std::string out = "[";
  c.for_each([&](std::int64_t sec, std::uint64_t n) {
    if (out.size() > 1) out += ",";
    out += "[" + std::to_string(sec) + "," + std::to_string(n) + "]";
  });
  return out + "]";
}

std::string entry_json(const stats::Entry& e) {
  return "{\"name\":" + js(e.name) + ",\"method\":" + js(e.method) +
         ",\"num_requests\":" + std::to_string(e.num_requests) +
         ",\"num_failures\":" + std::to_string(e.num_failures) +
         ",\"total_us\":" + std::to_string(e.total_response_time_us) +
         ",\"min_us\":" + std::to_string(e.min_response_time_us) +
         ",\"max_us\":" + std::to_string(e.max_response_time_us) +
         ",\"content\":" + std::to_string(e.total_content_length) +
         ",\"start\":" + num(e.start_time) + ",\"last\":" + num(e.last_request_timestamp) +
         ",\"hist_count\":" + std::to_string(e.histogram.count()) +
         ",\"median_ms\":" + num(e.median_response_time_ms()) +
         ",\"min_ms\":" + num(e.min_response_time_ms()) +
         ",\"max_ms\":" + num(e.max_response_time_ms()) + ",\"rps\":" + per_second(e.reqs_per_sec) +
         ",\"fps\":" + per_second(e.fails_per_sec) +
         ",\"slow\":" + (e.slow_trace.known() ? "true" : "false") + "}";
}

std::string counts_json(const cluster::ClassCounts& c) {
  std::string out = "[";
  for (const auto& [cls, n] : c) {
    if (out.size() > 1) out += ",";
    out += "[" + js(cls) + "," + std::to_string(n) + "]";
  }
  return out + "]";
}

std::string data_json(const cluster::Payload& p) {
  if (const auto* s = std::get_if<std::string>(&p)) return js(*s);
  if (const auto* a = std::get_if<cluster::AckData>(&p))
    return "{\"index\":" + std::to_string(a->index) + "}";
  if (const auto* s = std::get_if<cluster::SpawnData>(&p))
    return "{\"timestamp\":" + num(s->timestamp) +
           ",\"user_classes_count\":" + counts_json(s->user_classes_count) +
           ",\"host\":" + (s->host ? js(*s->host) : "null") +
           ",\"stop_timeout\":" + (s->stop_timeout ? num(*s->stop_timeout) : "null") + "}";
  if (const auto* s = std::get_if<cluster::SpawningCompleteData>(&p))
    return "{\"user_classes_count\":" + counts_json(s->user_classes_count) +
           ",\"user_count\":" + std::to_string(s->user_count) + "}";
  if (const auto* h = std::get_if<cluster::HeartbeatData>(&p))
    return "{\"state\":" + js(h->state) + ",\"current_cpu_usage\":" + num(h->current_cpu_usage) +
           ",\"current_memory_usage\":" + std::to_string(h->current_memory_usage) + "}";
  if (const auto* x = std::get_if<cluster::ExceptionData>(&p))
    return "{\"msg\":" + js(x->msg) + ",\"traceback\":" + js(x->traceback) + "}";
  if (const auto* r = std::get_if<cluster::StatsReport>(&p)) {
    std::string out = "{\"entries\":[";
    for (std::size_t i = 0; i < r->delta.entries.size(); ++i)
      out += (i ? "," : "") + entry_json(r->delta.entries[i]);
    out += "],\"total\":" + (r->total ? entry_json(*r->total) : std::string("null"));
    out += ",\"errors\":[";
    const auto rows = r->delta.errors.rows();
    for (std::size_t i = 0; i < rows.size(); ++i)
      out += std::string(i ? "," : "") + "[" + js(rows[i].method) + "," + js(rows[i].name) + "," +
             js(rows[i].error) + "," + std::to_string(rows[i].occurrences) + "]";
    out += "],\"user_classes_count\":" + counts_json(r->user_classes_count) +
           ",\"user_count\":" + std::to_string(r->user_count) +
           ",\"exceptions\":" + std::to_string(r->exceptions.size()) + "}";
    return out;
  }
  return "null";
}

stats::Entry spread_entry(std::string method, std::string name, std::uint64_t seed, int n,
                          double t0) {
  stats::Entry e;
  e.method = std::move(method);
  e.name = std::move(name);
  std::uint64_t x = seed;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    // Log-uniform-ish from ~50 µs to ~60 s: a magnitude, then a mantissa.
    const unsigned mag = static_cast<unsigned>((x >> 33) % 21);  // 2^6 .. 2^26 µs
    const std::uint64_t base = std::uint64_t{64} << mag;
    const std::uint64_t us = base + (x >> 7) % base;
    const double now = t0 + 0.013 * i;
    e.log(us, 100 + static_cast<std::uint64_t>(i), now);
    if (i % 7 == 3) e.log_error(now);
  }
  return e;
}

std::vector<std::pair<cluster::Message, std::string>> samples() {
  const std::string node = "loadgen-host_00112233445566778899aabbccddeeff";
  auto make = [&](cluster::MessageType t, cluster::Payload d) {
    cluster::Message m;
    m.type = t;
    m.type_name = std::string(cluster::to_string(t));
    m.data = std::move(d);
    m.node_id = node;
    return m;
  };
  std::vector<std::pair<cluster::Message, std::string>> out;
  auto add = [&](cluster::Message m) {
    std::string expect = "{\"type\":" + js(m.type_name) + ",\"data\":" + data_json(m.data) + "}";
    out.emplace_back(std::move(m), std::move(expect));
  };
  using cluster::MessageType;
  add(make(MessageType::kClientReady, std::string("2.12.1")));
  add(make(MessageType::kAck, cluster::AckData{2}));
  add(make(MessageType::kSpawn,
           cluster::SpawnData{
               1700000001.25, {{"WebUser", 3}, {"ApiUser", 1}}, "http://127.0.0.1:8080", 10.0}));
  add(make(MessageType::kSpawn, cluster::SpawnData{1700000002.5, {{"WebUser", 0}}, {}, {}}));
  add(make(MessageType::kSpawning, {}));
  add(make(MessageType::kSpawningComplete, cluster::SpawningCompleteData{{{"WebUser", 3}}, 3}));
  add(make(MessageType::kHeartbeat, cluster::HeartbeatData{"running", 37.5, 104857600}));
  cluster::StatsReport r;
  r.delta.entries.push_back(spread_entry("GET", "/", 1, 501, 1700000000.5));
  r.delta.entries.push_back(spread_entry("POST", "/api/items", 2, 1001, 1700000001.0));
  r.delta.entries.push_back(spread_entry("GET", "/one", 3, 1, 1700000003.0));
  r.delta.entries.push_back(spread_entry("ITER", "browse", 4, 31, 1700000000.0));
  r.delta.entries[0].slow_trace = {{0xde, 0xad, 0xbe, 0xef}, 12345, 1700000004.0};
  r.delta.errors.add("GET", "/", "HTTPError('500 Server Error')", 72);
  r.delta.errors.add("POST", "/api/items", "ConnectionRefusedError(111)", 143);
  r.user_classes_count = {{"WebUser", 3}, {"ApiUser", 1}};
  r.user_count = 4;
  r.exceptions.push_back({{"WebUser", "browse", "boom"}, 2});
  add(make(MessageType::kStats, r));  // stats_total: the sum of the non-ITER entries
  add(make(MessageType::kStats, cluster::StatsReport{}));
  add(make(MessageType::kException, cluster::ExceptionData{"boom", "Traceback:\n  x.lua:1\n"}));
  add(make(MessageType::kClientStopped, {}));
  add(make(MessageType::kStop, {}));
  add(make(MessageType::kQuit, {}));
  add(make(MessageType::kReconnect, {}));
  cluster::Message custom = make(MessageType::kUnknown, {});
  custom.type_name = "my_custom";
  add(custom);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "encode") {
    for (const auto& [m, expect] : samples()) {
      // The expectation carries the total the encoder computes when the report has none.
      std::string e = expect;
      if (const auto* r = std::get_if<cluster::StatsReport>(&m.data); r && !r->total) {
        e.pop_back();
        e += ",\"stats_total\":" + entry_json(cluster::stats_total_of(r->delta)) + "}";
      }
      std::printf("%s\t%s\n", hex(cluster::encode(m)).c_str(), e.c_str());
    }
    return 0;
  }
  if (mode == "decode") {
    std::string line;
    while (std::getline(std::cin, line)) {
      auto m = cluster::decode(unhex(line));
      if (!m) {
        std::printf("{\"ok\":false,\"code\":%s,\"error\":%s}\n", js(m.error().code).c_str(),
                    js(m.error().message).c_str());
        continue;
      }
      std::printf("{\"ok\":true,\"type\":%s,\"known\":%s,\"node_id\":%s,\"data\":%s}\n",
                  js(m->type_name).c_str(),
                  m->type == cluster::MessageType::kUnknown ? "false" : "true",
                  js(m->node_id).c_str(), data_json(m->data).c_str());
    }
    return 0;
  }
  std::fprintf(stderr, "usage: %s encode|decode\n", argv[0]);
  return 2;
}
