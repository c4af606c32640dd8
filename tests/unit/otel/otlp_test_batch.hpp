// A trace batch exercising every field the OTLP encoders write (all AnyValue kinds, arrays,
// events, links, status, flags, parents, trace_state, unicode, extreme integers and doubles),
// shared by the protobuf and JSON encoder tests.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "otel/span_data.hpp"
#include "otlp_test_util.hpp"

namespace loadgen::otel::testing {

inline AttrValue str(std::string s) { return AttrValue{std::move(s)}; }
inline AttrValue i64(std::int64_t v) { return AttrValue{v}; }
inline AttrValue dbl(double v) { return AttrValue{v}; }
inline AttrValue boolean(bool v) { return AttrValue{v}; }
inline AttrValue arr(AttrArray a) { return AttrValue{std::move(a)}; }

template <std::size_t N>
std::array<std::uint8_t, N> id_from(std::uint8_t seed) {
  std::array<std::uint8_t, N> id{};
  for (std::size_t i = 0; i < N; ++i) id[i] = static_cast<std::uint8_t>(seed + 17 * i);
  return id;
}

inline Attributes all_kinds_attributes() {
  const double inf = std::numeric_limits<double>::infinity();
  return {
      {"http.request.method", str("GET")},
      {"url.full",
       str("http://shop.local:8080/api/products/OLJCESPC7Z?currencyCode=EUR&q=\"x\"\\y")},
      {"server.port", i64(8080)},
      {"unicode", str("h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x9A\x80 \xE4\xB8\xAD")},
      {"controls",
       str(std::string("tab\tnl\ncr\rbs\bff\fnul\x01\x1f\x7f") + std::string(1, '\0') + "end")},
      {"empty.string", str("")},
      {"", str("empty key")},
      {"bool.true", boolean(true)},
      {"bool.false", boolean(false)},
      {"int.zero", i64(0)},
      {"int.minus1", i64(-1)},
      {"int.min", i64(std::numeric_limits<std::int64_t>::min())},
      {"int.max", i64(std::numeric_limits<std::int64_t>::max())},
      {"int.2^53+1", i64(9007199254740993)},
      {"double.zero", dbl(0.0)},
      {"double.negzero", dbl(-0.0)},
      {"double.frac", dbl(-2.5)},
      {"double.tenth", dbl(0.1)},
      {"double.big", dbl(1e300)},
      {"double.tiny", dbl(5e-324)},
      {"double.nan", dbl(std::numeric_limits<double>::quiet_NaN())},
      {"double.inf", dbl(inf)},
      {"double.neginf", dbl(-inf)},
      {"array.strings", arr({str("a"), str("b\xC3\xBC"), str("")})},
      {"array.mixed", arr({i64(1), dbl(2.5), boolean(true), str("x")})},
      {"array.empty", arr({})},
      {"array.nested", arr({arr({i64(-7)}), arr({})})},
  };
}

inline SpanData task_span() {
  SpanData s;
  s.trace_id = id_from<16>(0x4b);
  s.span_id = id_from<8>(0x01);
  s.name = "user_browse_product";
  s.kind = SpanKind::kInternal;
  s.start_time_unix_nano = 1'754'000'000'123'456'789ULL;
  s.end_time_unix_nano = 1'754'000'000'223'456'789ULL;
  s.attributes = {{"product.id", str("OLJCESPC7Z")}};
  s.flags = 0x101;
  return s;
}

inline SpanData client_span(const SpanData& parent) {
  SpanData s;
  s.trace_id = parent.trace_id;
  s.span_id = id_from<8>(0x90);
  s.parent_span_id = parent.span_id;
  s.trace_state = "ot=th:0;rv:ab,vendor@sys=v-1";
  s.name = "GET /api/products/{id}";
  s.kind = SpanKind::kClient;
  s.start_time_unix_nano = std::numeric_limits<std::uint64_t>::max() - 1;
  s.end_time_unix_nano = std::numeric_limits<std::uint64_t>::max();
  s.attributes = all_kinds_attributes();
  s.dropped_attributes_count = 3;
  s.events = {
      SpanEvent{
          1'754'000'000'200'000'000ULL,
          "feature_flag.evaluation",
          {{"feature_flag.key", str("adFailure")}, {"feature_flag.result.variant", str("off")}},
          2},
      SpanEvent{0, "", {}, 0},
      SpanEvent{42, "exception \xE2\x9C\x97", {{"exception.message", str("boom \"quoted\"")}}, 0},
  };
  s.dropped_events_count = 4;
  s.links = {
      SpanLink{id_from<16>(0xA0), id_from<8>(0xB0), "k=v", {{"link.int", i64(-42)}}, 1, 0x301},
      SpanLink{id_from<16>(0xC0), id_from<8>(0xD0), "", {}, 0, 0},
  };
  s.dropped_links_count = 5;
  s.status_code = StatusCode::kError;
  s.status_message = "connection refused \xE2\x80\x94 retrying";
  s.flags = 0x301;
  return s;
}

inline SpanData server_span() {
  SpanData s;
  s.trace_id = id_from<16>(0x10);
  s.span_id = id_from<8>(0x20);
  s.name = "server";
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = 1;
  s.end_time_unix_nano = 2;
  s.status_code = StatusCode::kOk;
  return s;
}

inline SpanData bare_span(SpanKind kind) {  // defaults everywhere but ids
  SpanData s;
  s.trace_id = id_from<16>(0x33);
  s.span_id = id_from<8>(0x44);
  s.kind = kind;
  return s;
}

// Two resources with spans, plus empty envelopes that encoders must skip.
inline std::vector<ResourceSpans> sample_batch() {
  std::vector<ResourceSpans> batch(3);
  ResourceSpans& rs = batch[0];
  rs.resource.attributes = {{"service.name", str("loadgen")},
                            {"telemetry.sdk.language", str("cpp")},
                            {"telemetry.sdk.name", str("loadgen")},
                            {"process.pid", i64(4242)}};
  rs.resource.schema_url = "https://opentelemetry.io/schemas/1.44.0";
  rs.scope_spans.resize(3);
  rs.scope_spans[0].scope = {"loadgen", "0.1.0", {{"scope.attr", i64(7)}}};
  rs.scope_spans[0].schema_url = "https://opentelemetry.io/schemas/1.44.0";
  const SpanData task = task_span();
  rs.scope_spans[0].spans = {task,
                             client_span(task),
                             server_span(),
                             bare_span(SpanKind::kUnspecified),
                             bare_span(SpanKind::kProducer),
                             bare_span(SpanKind::kConsumer)};
  rs.scope_spans[1].scope = {"empty-scope", "", {}};  // no spans: skipped
  rs.scope_spans[2].scope = {"", "", {}};
  rs.scope_spans[2].spans = {bare_span(SpanKind::kInternal)};
  // batch[1]: a resource without spans: skipped.
  batch[1].resource.attributes = {{"service.name", str("nothing")}};
  batch[1].scope_spans.resize(1);
  batch[2].resource.dropped_attributes_count = 9;
  batch[2].scope_spans.resize(1);
  batch[2].scope_spans[0].spans = {server_span()};
  return batch;
}

// What receivers should see: sample_batch() without its empty envelopes.
inline std::vector<ResourceSpans> without_empty_envelopes(std::vector<ResourceSpans> batch) {
  return without_empty(std::move(batch), &ResourceSpans::scope_spans, &ScopeSpans::spans,
                       [](const SpanData&) { return true; });
}

}  // namespace loadgen::otel::testing
