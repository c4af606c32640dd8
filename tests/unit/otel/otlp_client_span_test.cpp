// Compact CLIENT spans (otel::ClientSpans): their SpanData carries the HTTP client semantic
// conventions exactly, and TraceRequestEncoder, which writes them straight from the records,
// produces the very bytes of the SpanData path (checked byte for byte and with libprotobuf),
// with the attribute limits applied, and allocates nothing once warm.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "otel/client_span.hpp"
#include "otel/otlp_json.hpp"
#include "otel/otlp_proto.hpp"
#include "otlp_pb_expect.hpp"
#include "otlp_test_batch.hpp"
#include "otlp_trace_service.pb.h"

// Allocation count for the "nothing allocated once warm" test (this test binary only).
namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// Out of line, so that no caller sees malloc/free pair with new/delete (-Wmismatched-new-delete).
__attribute__((noinline)) void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace loadgen::otel {
namespace {

namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;
using namespace loadgen::otel::testing;  // NOLINT(google-build-using-namespace)

// The value as text ("s:..." or "i:..."), for comparisons.
std::string shown(const AttrValue& v) {
  if (const auto* s = std::get_if<std::string>(&v.v)) return "s:" + *s;
  if (const auto* i = std::get_if<std::int64_t>(&v.v)) return "i:" + std::to_string(*i);
  return "?";
}

// Appends a record to `c`; texts go to c.text.
struct RecordSpec {
  std::string_view method = "GET";
  std::string_view url = "http://shop.local:8080/api/products?id=1";
  std::string_view address = "shop.local";
  std::uint16_t port = 8080;
  std::uint16_t status = 200;
  std::uint16_t resend = 0;
  bool error = false;
  std::string_view error_type = {};
  std::string_view message = {};
  std::string_view state = {};
  std::uint8_t seed = 1;
  bool zero_times = false;  // start and end 0: the fields left out
};

void add(ClientSpans& c, const RecordSpec& s) {
  auto put = [&c](std::string_view t, std::uint32_t& off, std::uint32_t& len) {
    off = static_cast<std::uint32_t>(c.text.size());
    len = static_cast<std::uint32_t>(t.size());
    c.text.append(t);
  };
  ClientSpanRecord& r = c.records.emplace_back();
  r.trace_id = id_from<16>(s.seed);
  r.span_id = id_from<8>(static_cast<std::uint8_t>(s.seed + 1));
  if (s.seed % 2 == 1) r.parent_span_id = id_from<8>(static_cast<std::uint8_t>(s.seed + 2));
  r.start_wall_ns = 1'700'000'000'000'000'000 + s.seed;
  r.end_wall_ns = r.start_wall_ns + 1'234'567;
  if (s.zero_times) r.start_wall_ns = r.end_wall_ns = 0;
  r.method = s.method;
  put(s.url, r.url_off, r.url_len);
  put(s.address, r.address_off, r.address_len);
  if (!s.message.empty()) put(s.message, r.message_off, r.message_len);
  if (!s.state.empty()) put(s.state, r.state_off, r.state_len);
  r.port = s.port;
  r.status = s.status;
  r.resend_count = s.resend;
  r.trace_flags = 0x03;
  r.error = s.error;
  r.error_type = s.error_type;
}

// ok; transport failure (status message); HTTP error status; tracestate; a redirect hop;
// another origin and method; ill-formed UTF-8 in the URL.
ClientSpans sample(std::shared_ptr<const ClientSpanSettings> settings) {
  ClientSpans c;
  c.settings = std::move(settings);
  add(c, {});
  add(c, {.status = 0,
          .error = true,
          .error_type = "connect_refused",
          .message = "connect_refused: 127.0.0.1:9 Connection refused",
          .seed = 2});
  add(c, {.status = 503, .error = true, .seed = 3});
  add(c, {.state = "ot=th:8", .seed = 4});
  add(c, {.status = 302, .resend = 2, .seed = 5});
  add(c, {.method = "POST",
          .url = "https://api.example.com/v1/cart",
          .address = "api.example.com",
          .port = 443,
          .status = 201,
          .seed = 6});
  add(c, {.url = "http://shop.local:8080/\xff\xfe", .seed = 7});
  add(c, {.method = "DELETE", .status = 404, .error = true, .seed = 8});
  return c;
}

std::shared_ptr<const ClientSpanSettings> settings(std::optional<std::string> ua,
                                                   std::optional<SpanLimits> limits) {
  auto s = std::make_shared<ClientSpanSettings>();
  s->user_agent = std::move(ua);
  s->limits = limits;
  return s;
}

// A batch of the resource/scope of sample_batch() with a SpanData span and CLIENT span ranges.
std::vector<ResourceSpans> batch_of(const std::vector<const ClientSpans*>& buffers) {
  std::vector<ResourceSpans> batch(1);
  batch[0].resource = sample_batch()[0].resource;
  batch[0].scope_spans.resize(1);
  batch[0].scope_spans[0].scope = {"loadgen", "0.1.0", {}};
  batch[0].scope_spans[0].spans = {task_span()};
  for (const ClientSpans* b : buffers) {
    // Two ranges per buffer, as a batch that ends inside a buffer makes.
    const std::size_t half = b->records.size() / 2;
    batch[0].scope_spans[0].client_spans.push_back({b, 0, half});
    batch[0].scope_spans[0].client_spans.push_back({b, half, b->records.size() - half});
  }
  return batch;
}

// The SpanData path: CLIENT spans converted, then encoded as every span is.
std::string via_span_data(const std::vector<ResourceSpans>& batch) {
  std::vector<ResourceSpans> scratch;
  std::string out;
  encode_export_trace_request(with_client_spans_as_span_data(batch, scratch), out);
  return out;
}

TEST(ClientSpans, SpanDataCarriesTheHttpClientConventions) {
  const ClientSpans c = sample(settings("loadgen/1.0", SpanLimits{}));
  std::vector<SpanData> got;
  append_span_data(c, 0, c.records.size(), got);
  ASSERT_EQ(got.size(), c.records.size());

  const SpanData& ok = got[0];
  EXPECT_EQ(ok.name, "GET");
  EXPECT_EQ(ok.kind, SpanKind::kClient);
  EXPECT_EQ(ok.flags, 0x103u);
  EXPECT_EQ(ok.trace_id, id_from<16>(1));
  EXPECT_EQ(ok.parent_span_id, id_from<8>(3));
  EXPECT_EQ(ok.end_time_unix_nano - ok.start_time_unix_nano, 1'234'567u);
  EXPECT_EQ(ok.status_code, StatusCode::kUnset);
  EXPECT_TRUE(ok.trace_state.empty());
  const Attributes want_ok = {
      {"http.request.method", str("GET")},
      {"url.full", str("http://shop.local:8080/api/products?id=1")},
      {"server.address", str("shop.local")},
      {"server.port", i64(8080)},
      {"network.protocol.version", str("1.1")},
      {"http.response.status_code", i64(200)},
      {"user_agent.original", str("loadgen/1.0")},
  };
  ASSERT_EQ(ok.attributes.size(), want_ok.size());
  for (std::size_t i = 0; i < want_ok.size(); ++i) {
    EXPECT_EQ(ok.attributes[i].key, want_ok[i].key);
    EXPECT_EQ(shown(ok.attributes[i].value), shown(want_ok[i].value)) << want_ok[i].key;
  }

  const SpanData& refused = got[1];
  EXPECT_EQ(refused.status_code, StatusCode::kError);
  EXPECT_EQ(refused.status_message, "connect_refused: 127.0.0.1:9 Connection refused");
  EXPECT_EQ(refused.attributes.back().key, "error.type");
  EXPECT_EQ(shown(refused.attributes.back().value), "s:connect_refused");
  EXPECT_EQ(refused.attributes.size(), 7u);  // no status code

  const SpanData& unavailable = got[2];
  EXPECT_EQ(unavailable.status_code, StatusCode::kError);
  EXPECT_TRUE(unavailable.status_message.empty());  // an HTTP status has no message
  EXPECT_EQ(shown(unavailable.attributes.back().value), "s:503");

  EXPECT_EQ(got[3].trace_state, "ot=th:8");
  EXPECT_EQ(got[4].attributes[6].key, "http.request.resend_count");
  EXPECT_EQ(shown(got[4].attributes[6].value), "i:2");
}

TEST(ClientSpans, EncodedStraightAreTheBytesOfTheSpanDataPath) {
  SpanLimits few;
  few.attribute_count_limit = 3;
  SpanLimits short_values;
  short_values.attribute_value_length_limit = 4;
  const std::vector<std::shared_ptr<const ClientSpanSettings>> all = {
      nullptr,
      settings(std::nullopt, std::nullopt),
      settings("loadgen/1.0 (+https://example.com)", SpanLimits{}),
      settings("", SpanLimits{}),
      settings("loadgen/1.0", few),
      settings("loadgen/1.0", short_values),
  };
  TraceRequestEncoder encoder;  // one for every case: its caches must never mix them up
  for (std::size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE("settings #" + std::to_string(i));
    const ClientSpans a = sample(all[i]);
    const ClientSpans b = sample(all[(i + 1) % all.size()]);
    const auto batch = batch_of({&a, &b});
    std::string straight;
    encoder.encode(batch, straight);
    EXPECT_EQ(straight, via_span_data(batch));
    std::string again = "stale";
    encoder.encode(batch, again);  // the caches warm
    EXPECT_EQ(again, straight);
    std::string fresh;
    encode_export_trace_request(batch, fresh);  // the free function: the same
    EXPECT_EQ(fresh, straight);
  }
}

// The straight encoder sizes each span before writing it: texts to repair (each ill-formed byte
// grows to U+FFFD's three) and lengths on both sides of a varint's 1/2/3-byte boundaries must
// come out as the SpanData path writes them.
TEST(ClientSpans, RepairedTextsAndEveryLengthAreTheBytesOfTheSpanDataPath) {
  const std::string ill_formed(100, '\xff');  // 100 bytes that become 300
  std::vector<std::string> urls = {"http://h/caf\xc3\xa9?q=\xe2\x82\xac&x=\xf0\x9f\x98\x80",
                                   "http://h/\xc3" + ill_formed, "http://h/\xed\xa0\x80\xc0\xaf"};
  // url.full lengths around where the string, AnyValue and KeyValue lengths need 2 bytes, and
  // a span whose length needs 3.
  for (const int n : {100, 110, 111, 112, 113, 114, 115, 116, 117, 124, 125, 126, 127, 128, 129,
                      16'300, 16'383, 16'384, 20'000})
    urls.push_back("http://h/" + std::string(static_cast<std::size_t>(n - 9), 'a'));
  ClientSpans c;
  c.settings = settings("ua \xff\xfe", SpanLimits{});
  std::uint8_t seed = 1;
  for (const std::string& url : urls) add(c, {.url = url, .seed = seed++});
  add(c, {.method = "G\xc0T", .url = "http://h/", .status = 0, .seed = seed++});
  add(c, {.url = "http://h/",
          .status = 0,
          .error = true,
          .error_type = "timeout\xe2\x82",
          .message = "timeout: after 5 s \xff caf\xc3\xa9",
          .seed = seed++});
  add(c, {.status = 0, .error = true, .seed = seed++});  // error.type "0", no message
  add(c, {.status = 0,
          .error = true,
          .error_type = "read_error",
          .message = "read_error: " + ill_formed,
          .seed = seed++,
          .zero_times = true});
  add(c, {.status = 65'535, .resend = 300, .error = true, .seed = seed++});
  add(c, {.status = 200, .resend = 1, .state = "ot=th:8;rv:\xff", .seed = seed++});
  add(c, {.state = std::string(200, 's'), .seed = seed++});
  add(c, {.method = "", .address = "h\xc3\xa9\xff", .port = 0, .seed = seed++});
  add(c, {.url = "", .address = "", .seed = seed++});
  ClientSpans plain = c;  // no settings: no user_agent.original
  plain.settings = nullptr;
  const auto batch = batch_of({&c, &plain});
  TraceRequestEncoder encoder;
  std::string out;
  for (int round = 0; round < 2; ++round) {
    encoder.encode(batch, out);
    EXPECT_EQ(out, via_span_data(batch));
  }
  pb_collector::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));  // libprotobuf checks that strings are UTF-8
  EXPECT_EQ(req.resource_spans(0).scope_spans(0).spans_size(),
            1 + 2 * static_cast<int>(c.records.size()));
}

TEST(ClientSpans, ManyOriginsOutgrowTheCacheWithoutChangingABit) {
  ClientSpans c;
  c.settings = settings("ua", SpanLimits{});
  std::vector<std::string> hosts;
  for (int i = 0; i < 200; ++i) hosts.push_back("host-" + std::to_string(i % 150) + ".local");
  for (int i = 0; i < 200; ++i) {
    add(c, {.url = "http://x/",
            .address = hosts[static_cast<std::size_t>(i)],
            .port = static_cast<std::uint16_t>(1000 + i % 7),
            .seed = static_cast<std::uint8_t>(i)});
  }
  const auto batch = batch_of({&c});
  TraceRequestEncoder encoder;
  std::string out;
  for (int round = 0; round < 3; ++round) {
    encoder.encode(batch, out);
    EXPECT_EQ(out, via_span_data(batch));
  }
}

TEST(ClientSpans, LibprotobufReadsTheStraightEncoding) {
  const ClientSpans c = sample(settings("loadgen/1.0", SpanLimits{}));
  const auto batch = batch_of({&c});
  std::string out;
  TraceRequestEncoder().encode(batch, out);
  pb_collector::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(out));
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& spans = req.resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(spans.size(), 1 + static_cast<int>(c.records.size()));
  std::vector<SpanData> want;
  append_span_data(c, 0, c.records.size(), want);
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& got = spans.Get(static_cast<int>(i + 1));
    SCOPED_TRACE(i);
    EXPECT_EQ(got.name(), want[i].name);
    EXPECT_EQ(got.trace_id(), id_bytes(want[i].trace_id));
    EXPECT_EQ(got.parent_span_id(), optional_id_bytes(want[i].parent_span_id));
    EXPECT_EQ(got.trace_state(), want[i].trace_state);
    EXPECT_EQ(got.start_time_unix_nano(), want[i].start_time_unix_nano);
    EXPECT_EQ(got.end_time_unix_nano(), want[i].end_time_unix_nano);
    EXPECT_EQ(static_cast<int>(got.kind()), 3);
    expect_attributes(want[i].attributes, got.attributes(), "span");
    EXPECT_EQ(static_cast<int>(got.status().code()), static_cast<int>(want[i].status_code));
    EXPECT_EQ(got.status().message(), want[i].status_message);
    EXPECT_EQ(got.flags(), 0x103u);
  }
  EXPECT_EQ(spans.Get(2).status().message(), "connect_refused: 127.0.0.1:9 Connection refused");
}

TEST(ClientSpans, OtlpJsonSeesThemAsSpanData) {
  const ClientSpans c = sample(settings("loadgen/1.0", SpanLimits{}));
  const auto batch = batch_of({&c});
  std::vector<ResourceSpans> scratch;
  std::string want;
  encode_export_trace_request_json(with_client_spans_as_span_data(batch, scratch), want);
  std::string got;
  encode_export_trace_request_json(batch, got);
  EXPECT_EQ(got, want);
  EXPECT_NE(got.find("connect_refused"), std::string::npos);
}

TEST(ClientSpans, AWarmEncoderAllocatesNothing) {
  const ClientSpans a = sample(settings("loadgen/1.0", SpanLimits{}));
  const ClientSpans b = sample(settings("loadgen/1.0", SpanLimits{}));
  auto batch = batch_of({&a, &b});
  batch[0].scope_spans[0].spans.clear();  // CLIENT spans only, as the engine's batches are
  g_allocations = 0;
  g_counting = true;
  auto probe = std::make_unique<std::string>(100, 'x');  // the counter itself works
  g_counting = false;
  ASSERT_GT(g_allocations.load(), 0u);
  TraceRequestEncoder encoder;
  std::string out;
  encoder.encode(batch, out);
  g_allocations = 0;
  g_counting = true;
  encoder.encode(batch, out);
  encoder.encode(batch, out);
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u);
}

}  // namespace
}  // namespace loadgen::otel
