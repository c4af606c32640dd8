// The Locust 2.12 message codec: round trips of every type, bytes as msgpack-python writes
// them, decoding Locust-built fixtures (make_codec_fixtures.py), field-naming errors, limits.
#include "cluster/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace loadgen::cluster {
namespace {

#include "codec_fixtures.inc"

constexpr std::string_view kNode = "host-a_0123456789abcdef0123456789abcdef";

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string tohex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Message make(MessageType t, Payload data = {}) {
  Message m;
  m.type = t;
  m.type_name = std::string(to_string(t));
  m.data = std::move(data);
  m.node_id = std::string(kNode);
  return m;
}

void expect_round_trip(const Message& m) {
  const std::string bytes = encode(m);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(message_difference(m, *back), "") << to_string(m.type);
  EXPECT_EQ(encode(*back), bytes);
}

stats::Entry sample_entry(std::string method, std::string name, double t0) {
  stats::Entry e;
  e.method = std::move(method);
  e.name = std::move(name);
  const std::uint64_t times_us[] = {3'200,   12'500,    99'999,     150'700,
                                    151'000, 1'234'500, 45'678'900, 7};
  double now = t0;
  for (const std::uint64_t us : times_us) {
    e.log(us, 10, now);
    now += 0.4;
  }
  e.log_error(t0 + 1.1);
  return e;
}

StatsReport sample_report() {
  StatsReport r;
  r.delta.entries.push_back(sample_entry("GET", "/a", 1700000000.125));
  r.delta.entries.push_back(sample_entry("POST", "/b?x=1", 1700000002.5));
  r.delta.entries.push_back(sample_entry(std::string(stats::kIterationMethod), "task", 1700000001));
  r.delta.entries[0].slow_trace.trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  r.delta.entries[0].slow_trace.response_time_us = 45'678'900;
  r.delta.entries[0].slow_trace.at = 1700000003.0;
  r.delta.errors.add("GET", "/a", "HTTPError('500')", 3);
  r.delta.errors.add("GET", "/a.b", "x", 1);  // would collide with ("GET.a", ...) under a naive key
  r.delta.errors.add("GET.a", "b", "x", 2);
  r.user_classes_count = {{"WebUser", 3}, {"ApiUser", 0}};
  r.user_count = 3;
  r.exceptions.push_back({{"WebUser", "browse", "attempt to index a nil value"}, 4});
  return r;
}

TEST(ClusterMessage, TypeNames) {
  EXPECT_EQ(to_string(MessageType::kClientReady), "client_ready");
  EXPECT_EQ(to_string(MessageType::kSpawningComplete), "spawning_complete");
  EXPECT_EQ(to_string(MessageType::kClientStopped), "client_stopped");
  EXPECT_EQ(to_string(MessageType::kUnknown), "");
}

TEST(ClusterMessage, RoundTripEveryType) {
  expect_round_trip(make(MessageType::kClientReady, std::string("2.12.1")));
  expect_round_trip(make(MessageType::kAck, AckData{7}));
  expect_round_trip(make(MessageType::kAck, AckData{8, "0.13.0"}));
  SpawnData spawn{1700000001.5, {{"WebUser", 3}, {"ApiUser", 1}}, "http://127.0.0.1:1", 5.0};
  expect_round_trip(make(MessageType::kSpawn, spawn));
  spawn.stop_timeout = 2.5;
  spawn.host.reset();
  expect_round_trip(make(MessageType::kSpawn, spawn));
  spawn.stop_timeout.reset();
  expect_round_trip(make(MessageType::kSpawn, spawn));
  expect_round_trip(make(MessageType::kSpawning));
  expect_round_trip(
      make(MessageType::kSpawningComplete, SpawningCompleteData{{{"WebUser", 2}}, 2}));
  expect_round_trip(make(MessageType::kHeartbeat, HeartbeatData{"running", 12.25, 123456789}));
  StatsReport r = sample_report();
  r.total = stats_total_of(r.delta);
  expect_round_trip(make(MessageType::kStats, r));
  StatsReport empty;
  empty.total = stats_total_of(empty.delta);  // a total of nothing: name "Aggregated"
  expect_round_trip(make(MessageType::kStats, empty));
  expect_round_trip(make(MessageType::kException, ExceptionData{"boom", "tb\nline"}));
  expect_round_trip(make(MessageType::kClientStopped));
  expect_round_trip(make(MessageType::kStop));
  expect_round_trip(make(MessageType::kQuit));
  expect_round_trip(make(MessageType::kReconnect));
  Message custom;
  custom.type_name = "update_user_class";
  custom.node_id = "n";
  expect_round_trip(custom);
}

TEST(ClusterMessage, StatsTotalDefaultsToTheNonIterSum) {
  StatsReport r = sample_report();
  auto back = decode(encode(make(MessageType::kStats, r)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  const auto& got = std::get<StatsReport>(back->data);
  ASSERT_TRUE(got.total.has_value());
  EXPECT_EQ(got.total->name, "Aggregated");
  EXPECT_EQ(got.total->method, "");
  EXPECT_EQ(got.total->num_requests, 16u);  // two request rows of 8; the ITER row left out
  EXPECT_EQ(got.total->num_failures, 2u);
  EXPECT_EQ(got.total->histogram.count(), 16u);
  EXPECT_EQ(got.total->start_time, 1700000000.125);
  EXPECT_EQ(got.delta.errors.size(), 3u);
  ASSERT_EQ(got.exceptions.size(), 1u);
  EXPECT_EQ(got.exceptions[0].first[2], "attempt to index a nil value");
  EXPECT_EQ(got.exceptions[0].second, 4u);
  EXPECT_TRUE(got.delta.entries[0].slow_trace.known());
  EXPECT_FALSE(got.delta.entries[1].slow_trace.known());
}

// Bytes identical to msgpack.dumps((type, data, node_id)) for the same values.
TEST(ClusterMessage, EncodesAsMsgpackPython) {
  EXPECT_EQ(tohex(encode(make(MessageType::kClientReady, std::string("2.12.1")))), kClientReady);
  EXPECT_EQ(tohex(encode(make(MessageType::kAck, AckData{3}))), kAck);
  EXPECT_EQ(tohex(encode(make(MessageType::kQuit))), kQuit);
  Message hb = make(MessageType::kHeartbeat, HeartbeatData{"running", 12.5, 52428800});
  EXPECT_EQ(tohex(encode(hb)), kHeartbeat);
  Message ex = make(MessageType::kException, ExceptionData{"boom", "  File \"x.py\", line 1\n"});
  EXPECT_EQ(tohex(encode(ex)), kExceptionMsg);
}

TEST(ClusterMessage, DecodesLocustSpawn) {
  auto m = decode(unhex(kSpawn));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->type, MessageType::kSpawn);
  const auto& d = std::get<SpawnData>(m->data);
  EXPECT_EQ(d.timestamp, 1700000001.5);
  EXPECT_EQ(d.user_classes_count, (ClassCounts{{"WebUser", 3}, {"ApiUser", 0}}));
  EXPECT_EQ(d.host, "http://127.0.0.1:8089");
  EXPECT_EQ(d.stop_timeout, 5.0);
  auto n = decode(unhex(kSpawnNil));
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(std::get<SpawnData>(n->data).timestamp, 1700000002.0);  // an int timestamp
  EXPECT_FALSE(std::get<SpawnData>(n->data).host.has_value());
  EXPECT_FALSE(std::get<SpawnData>(n->data).stop_timeout.has_value());
}

TEST(ClusterMessage, DecodesLocustHeartbeatsAndOthers) {
  auto hb = decode(unhex(kHeartbeatIntCpu));  // int cpu, no memory key
  ASSERT_TRUE(hb.ok()) << hb.error().message;
  EXPECT_EQ(std::get<HeartbeatData>(hb->data).state, "ready");
  EXPECT_EQ(std::get<HeartbeatData>(hb->data).current_memory_usage, 0);
  auto ready = decode(unhex(kClientReady));
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(std::get<std::string>(ready->data), "2.12.1");
  EXPECT_EQ(ready->node_id, kNode);
  auto ack = decode(unhex(kAck));
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(std::get<AckData>(ack->data).index, 3);
}

TEST(ClusterMessage, DecodesLocustStatsWithFloatKeys) {
  auto m = decode(unhex(kStatsFloatKeys));
  ASSERT_TRUE(m.ok()) << m.error().message;
  const auto& r = std::get<StatsReport>(m->data);
  ASSERT_EQ(r.delta.entries.size(), 1u);
  const stats::Entry& e = r.delta.entries[0];
  EXPECT_EQ(e.name, "/a");
  EXPECT_EQ(e.method, "GET");
  EXPECT_EQ(e.num_requests, 6u);
  EXPECT_EQ(e.num_failures, 1u);
  EXPECT_EQ(e.min_response_time_us, 3'200u);
  EXPECT_EQ(e.max_response_time_us, 45'678'900u);
  EXPECT_EQ(e.total_response_time_us, 47'230'800u);
  EXPECT_EQ(e.histogram.count(), 6u);
  EXPECT_EQ(e.histogram.min(), 3'200u);
  EXPECT_EQ(e.histogram.max(), 45'678'900u);
  EXPECT_EQ(e.reqs_per_sec.at(1700000000), 6u);
  EXPECT_EQ(e.fails_per_sec.at(1700000000), 1u);
  EXPECT_EQ(e.last_request_timestamp, 1700000000.25);
  // Buckets 3, 12 (ints), 150.0 (x2), 1200.0, 46000.0 (floats): the median (rank 3) is 150 ms.
  EXPECT_NEAR(e.median_response_time_ms(), 150.0, 150.0 / 64);
  ASSERT_TRUE(r.total.has_value());
  EXPECT_EQ(r.total->name, "Aggregated");
  ASSERT_EQ(r.delta.errors.rows().size(), 1u);
  EXPECT_EQ(r.delta.errors.rows()[0].error, "Exception('boom')");
  EXPECT_EQ(r.user_classes_count, (ClassCounts{{"WebUser", 2}}));
  EXPECT_EQ(r.user_count, 2);
  // Re-encoded, it decodes to itself.
  auto again = decode(encode(*m));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(message_difference(*m, *again), "");
}

TEST(ClusterMessage, DecodesLocustStatsWithIntKeysAndNilTotal) {
  auto m = decode(unhex(kStatsIntKeys));
  ASSERT_TRUE(m.ok()) << m.error().message;
  const auto& r = std::get<StatsReport>(m->data);
  ASSERT_EQ(r.delta.entries.size(), 2u);
  EXPECT_EQ(r.delta.entries[0].num_requests, 5u);
  EXPECT_EQ(r.delta.entries[0].min_response_time_us, 1'000u);
  EXPECT_EQ(r.delta.entries[0].max_response_time_us, 2'000'000u);
  EXPECT_EQ(r.delta.entries[0].histogram.count(), 5u);
  EXPECT_EQ(r.delta.entries[1].num_requests, 0u);  // nil min and last_request_timestamp
  EXPECT_EQ(r.delta.entries[1].last_request_timestamp, 0.0);
  EXPECT_FALSE(r.total.has_value());
  EXPECT_TRUE(r.user_classes_count.empty());  // missing key
  EXPECT_EQ(r.user_count, 1);
}

TEST(ClusterMessage, UnknownTypeIsKeptByName) {
  auto m = decode(unhex(kCustom));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->type, MessageType::kUnknown);
  EXPECT_EQ(m->type_name, "my_custom");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(m->data));
  EXPECT_EQ(m->node_id, kNode);
}

std::string error_of(std::string_view bytes) {
  auto m = decode(bytes);
  if (m.ok()) return "decoded";
  EXPECT_EQ(m.error().code, "protocol");
  return m.error().message;
}

TEST(ClusterMessage, ErrorsNameTheTypeAndField) {
  EXPECT_EQ(error_of(unhex(kBadNumRequests)),
            "stats: stats[3].num_requests: expected an integer, got a string");
  EXPECT_EQ(error_of(unhex(kNegativeCount)),
            "spawning_complete: user_classes_count.U: expected a count, got a negative integer");
  EXPECT_EQ(error_of(unhex(kNanTime)),
            "stats: stats[0].total_response_time: expected a finite number");
  EXPECT_EQ(error_of(unhex(kBucketOutOfRange)),
            "stats: stats[0].loadgen_hist.99999: bucket index out of range (at most 1983)");
  EXPECT_EQ(error_of(unhex(kErrorMissingOccurrences)), "stats: errors.k.occurrences: missing");
  EXPECT_EQ(error_of(unhex(kNodeIdNil)), "quit: node_id: expected a string, got nil");
  EXPECT_EQ(error_of(unhex(kTypeNotStr)), "message: type: expected a string, got an integer");
  EXPECT_EQ(error_of(unhex(kTwoElements)),
            "message: expected an array [type, data, node_id], got an array of 2");
  EXPECT_EQ(error_of(unhex(kNotArray)),
            "message: expected an array [type, data, node_id], got a map");
  EXPECT_EQ(error_of(encode(make(MessageType::kAck, AckData{1})) + "x"),
            "message: trailing bytes after the message");
  EXPECT_EQ(error_of(""), "message: truncated frame");
  // Data of the wrong shape.
  std::string bytes = encode(make(MessageType::kQuit));  // 93 a4 quit c0 <node>
  bytes[0] = '\x93';
  std::string ack = bytes;
  ack.replace(1, 5,
              "\xa3"
              "ack");
  EXPECT_EQ(error_of(ack), "decoded");  // nil ack data: Locust 2.12 accepts it
  std::string hb = bytes;
  hb.replace(1, 5,
             "\xa9"
             "heartbeat");
  EXPECT_EQ(error_of(hb), "decoded");  // nil: a master's heartbeat (Locust >= 2.19, loadgen)
  std::string hb_list = hb;
  hb_list[1 + 10] = '\x90';  // data: an empty array
  EXPECT_EQ(error_of(hb_list), "heartbeat: data: expected a map, got an array");
  EXPECT_EQ(error_of(std::string("\x93\xa4quit\xc0\xa2\xff\xfe", 10)),
            "quit: node_id: a string that is not valid UTF-8");
}

TEST(ClusterMessage, Limits) {
  // An array declaring a million elements with none there: refused before any allocation.
  EXPECT_EQ(error_of(std::string("\xdd\x00\x0f\x42\x40", 5)),
            "message: truncated frame (a container larger than the frame)");
  // More than 1e6 entries.
  EXPECT_EQ(error_of(std::string("\xdd\x00\x0f\x42\x41", 5)),
            "message: a container of more than 1000000 entries");
  // Nested 17 deep.
  std::string deep = "\x93\xa4quit";
  for (int i = 0; i < 16; ++i) deep += "\x91";
  deep += "\xc0\xa1n";
  EXPECT_EQ(error_of(deep), "message: nested deeper than 16");
  std::string ok_deep = "\x93\xa4quit";
  for (int i = 0; i < 15; ++i) ok_deep += "\x91";
  ok_deep += "\xc0\xa1n";
  EXPECT_EQ(error_of(ok_deep), "decoded");
  // A string longer than the frame, a reserved byte.
  EXPECT_EQ(error_of(std::string("\x93\xdb\xff\xff\xff\xff", 6)), "message: truncated frame");
  EXPECT_EQ(error_of(std::string("\x91\xc1", 2)), "message: invalid byte 0xc1");
  // Above 16 MiB (cluster::kMaxFrameBytes).
  const std::string big((std::size_t{16} << 20) + 1, '\0');
  EXPECT_EQ(error_of(big).rfind("message: a frame of 16777217 bytes", 0), 0u);
}

// An entry whose histogram bounds are not its own min/max (a merge of a row without samples,
// as Locust's None-time requests give) keeps both exactly.
TEST(ClusterMessage, HistogramBoundsTravelApartFromTheEntrys) {
  stats::Entry none_times;
  none_times.method = "GET";
  none_times.name = "/n";
  none_times.num_requests = 2;  // no histogram samples, min/max 0
  none_times.start_time = 1700000000;
  stats::Entry timed = sample_entry("GET", "/n", 1700000000.5);
  stats::Entry merged = none_times;
  merged.merge(timed);
  ASSERT_EQ(merged.min_response_time_us, 0u);
  ASSERT_EQ(merged.histogram.min(), 7u);
  StatsReport r;
  r.delta.entries = {merged, none_times};
  r.total = merged;
  expect_round_trip(make(MessageType::kStats, r));
}

TEST(ClusterMessage, RejectsBadEntryValues) {
  StatsReport r;
  r.delta.entries.push_back(sample_entry("GET", "/a", 1700000000));
  std::string bytes = encode(make(MessageType::kStats, r));
  // min above max: swap loadgen_us's min (7 µs) for a value above the max.
  const std::string us_key = "\xaaloadgen_us\x95";
  const auto at = bytes.find(us_key);
  ASSERT_NE(at, std::string::npos);
  // [total (uint32 0xce), min (fixint 7), max, ...]: min -> 0xce 0xff.. (above the max)
  const std::size_t min_at = at + us_key.size() + 5;
  ASSERT_EQ(bytes[min_at], '\x07');
  bytes.replace(min_at, 1, std::string("\xce\xff\xff\xff\xff", 5));
  EXPECT_EQ(error_of(bytes), "stats: stats[0]: min response time above the max");
}

}  // namespace
}  // namespace loadgen::cluster
