// Micro-benchmark of OTLP trace encoding on the exporter thread: one batch of 512 typical HTTP
// client spans (OTEL_BSP_MAX_EXPORT_BATCH_SIZE's default) to OTLP/protobuf and OTLP/JSON: CPU time
// per span ("time/span") and spans/s on one core. With libprotobuf available, the peer figure
// beside it: the same request built as libprotobuf messages and serialized (what an SDK built on
// generated protobuf code, e.g. opentelemetry-cpp's OTLP exporter, does).
// BM_OtlpProtobufClientSpans: the exporter's own path under load, loadgen's compact CLIENT spans
// (otel::ClientSpans) of `GET http://127.0.0.1:PORT/index.html` answered 200, written straight
// from their records by a warm TraceRequestEncoder.
// Prints figures only; asserts nothing.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "otel/client_span.hpp"
#include "otel/otlp_json.hpp"
#include "otel/otlp_proto.hpp"
#include "otel/span_data.hpp"

#ifdef LOADGEN_BENCH_LIBPROTOBUF
#include "otlp_trace_service.pb.h"
#endif

namespace {

using namespace loadgen::otel;  // NOLINT(google-build-using-namespace)

constexpr std::size_t kBatch = 512;

AttrValue s(std::string v) { return AttrValue{std::move(v)}; }
AttrValue i(std::int64_t v) { return AttrValue{v}; }

std::vector<ResourceSpans> http_client_batch() {
  std::vector<ResourceSpans> batch(1);
  batch[0].resource.attributes = {
      {"service.name", s("loadgen")},
      {"service.instance.id", s("6b0a6c0e-5b1f-4bd2-9a37-0e0f4f5f3a11")},
      {"telemetry.sdk.name", s("loadgen")},
      {"telemetry.sdk.language", s("cpp")},
      {"telemetry.sdk.version", s("0.1.0")},
      {"host.name", s("bench-host")},
      {"process.pid", i(4242)},
      {"process.executable.name", s("loadgen")}};
  batch[0].scope_spans.resize(1);
  batch[0].scope_spans[0].scope = {"loadgen", "0.1.0", {}};
  auto& spans = batch[0].scope_spans[0].spans;
  for (std::size_t n = 0; n < kBatch; ++n) {
    SpanData sp;
    for (std::size_t b = 0; b < 16; ++b)
      sp.trace_id[b] = static_cast<std::uint8_t>(n * 31 + b * 7 + 1);
    for (std::size_t b = 0; b < 8; ++b)
      sp.span_id[b] = static_cast<std::uint8_t>(n * 13 + b * 5 + 1);
    for (std::size_t b = 0; b < 8; ++b)
      sp.parent_span_id[b] = static_cast<std::uint8_t>(n * 11 + b * 3 + 2);
    sp.name = "GET";
    sp.kind = SpanKind::kClient;
    sp.start_time_unix_nano = 1'754'000'000'000'000'000ULL + n * 1'000'000;
    sp.end_time_unix_nano = sp.start_time_unix_nano + 850'000 + n;
    sp.attributes = {
        {"http.request.method", s("GET")},
        {"url.full", s("http://shop.local:8080/api/products/OLJCESPC7Z?currencyCode=EUR")},
        {"server.address", s("shop.local")},
        {"server.port", i(8080)},
        {"network.protocol.version", s("1.1")},
        {"http.response.status_code", i(200)},
        {"user_agent.original", s("loadgen/0.1.0 (+synthetic)")}};
    sp.flags = 0x101;
    spans.push_back(std::move(sp));
  }
  return batch;
}

void set_counters(benchmark::State& state, std::size_t bytes) {
  const auto spans = static_cast<double>(kBatch);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  // CPU time per span, printed with an SI prefix (e.g. "170n" = 170 ns).
  state.counters["time/span"] = benchmark::Counter(
      spans, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes/span"] = static_cast<double>(bytes) / spans;
}

void BM_OtlpProtobuf(benchmark::State& state) {
  const auto batch = http_client_batch();
  std::string out;
  for (auto _ : state) {
    encode_export_trace_request(batch, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, out.size());
}
BENCHMARK(BM_OtlpProtobuf);

// 512 CLIENT spans as engine::Worker::on_attempt records them for a plain run against one
// local server: parent = the user's task span, sampled, no tracestate, loadgen's default
// User-Agent.
ClientSpans loadgen_client_spans() {
  ClientSpans c;
  auto settings = std::make_shared<ClientSpanSettings>();
  settings->user_agent = "loadgen/0.1";
  c.settings = std::move(settings);
  auto put = [&c](std::string_view t, std::uint32_t& off, std::uint32_t& len) {
    off = static_cast<std::uint32_t>(c.text.size());
    len = static_cast<std::uint32_t>(t.size());
    c.text.append(t);
  };
  for (std::size_t n = 0; n < kBatch; ++n) {
    ClientSpanRecord& r = c.records.emplace_back();
    for (std::size_t b = 0; b < 16; ++b)
      r.trace_id[b] = static_cast<std::uint8_t>(n * 31 + b * 7 + 1);
    for (std::size_t b = 0; b < 8; ++b)
      r.span_id[b] = static_cast<std::uint8_t>(n * 13 + b * 5 + 1);
    for (std::size_t b = 0; b < 8; ++b)
      r.parent_span_id[b] = static_cast<std::uint8_t>(n * 11 + b * 3 + 2);
    r.start_wall_ns = 1'754'000'000'000'000'000 + static_cast<std::int64_t>(n) * 40'000;
    r.end_wall_ns = r.start_wall_ns + 35'000 + static_cast<std::int64_t>(n);
    r.method = "GET";
    put("http://127.0.0.1:38211/index.html", r.url_off, r.url_len);
    put("127.0.0.1", r.address_off, r.address_len);
    r.port = 38211;
    r.status = 200;
    r.trace_flags = 0x01;
  }
  return c;
}

void BM_OtlpProtobufClientSpans(benchmark::State& state) {
  const ClientSpans client = loadgen_client_spans();
  auto batch = http_client_batch();
  batch[0].scope_spans[0].spans.clear();
  batch[0].scope_spans[0].client_spans = {{&client, 0, client.records.size()}};
  TraceRequestEncoder encoder;  // one per exporter, reused (its caches warm)
  std::string out;
  for (auto _ : state) {
    encoder.encode(batch, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, out.size());
}
BENCHMARK(BM_OtlpProtobufClientSpans);

void BM_OtlpJson(benchmark::State& state) {
  const auto batch = http_client_batch();
  std::string out;
  for (auto _ : state) {
    encode_export_trace_request_json(batch, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, out.size());
}
BENCHMARK(BM_OtlpJson);

#ifdef LOADGEN_BENCH_LIBPROTOBUF
namespace pb_common = ::opentelemetry::proto::common::v1;
namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;

void fill(pb_common::KeyValue* kv, const Attribute& a) {
  kv->set_key(a.key);
  if (const auto* str = std::get_if<std::string>(&a.value.v)) {
    kv->mutable_value()->set_string_value(*str);
  } else if (const auto* num = std::get_if<std::int64_t>(&a.value.v)) {
    kv->mutable_value()->set_int_value(*num);
  }
}

// Peer: populate generated messages from the same SpanData, then SerializeToString. The
// request object is reused (Clear() keeps its allocations), the kindest setting for the peer.
void BM_PeerLibprotobuf(benchmark::State& state) {
  const auto batch = http_client_batch();
  pb_collector::ExportTraceServiceRequest req;
  std::string out;
  for (auto _ : state) {
    req.Clear();
    for (const ResourceSpans& rs : batch) {
      auto* prs = req.add_resource_spans();
      for (const Attribute& a : rs.resource.attributes)
        fill(prs->mutable_resource()->add_attributes(), a);
      for (const ScopeSpans& ss : rs.scope_spans) {
        auto* pss = prs->add_scope_spans();
        pss->mutable_scope()->set_name(ss.scope.name);
        pss->mutable_scope()->set_version(ss.scope.version);
        for (const SpanData& sp : ss.spans) {
          auto* p = pss->add_spans();
          p->set_trace_id(sp.trace_id.data(), sp.trace_id.size());
          p->set_span_id(sp.span_id.data(), sp.span_id.size());
          p->set_parent_span_id(sp.parent_span_id.data(), sp.parent_span_id.size());
          p->set_name(sp.name);
          p->set_kind(static_cast<::opentelemetry::proto::trace::v1::Span_SpanKind>(sp.kind));
          p->set_start_time_unix_nano(sp.start_time_unix_nano);
          p->set_end_time_unix_nano(sp.end_time_unix_nano);
          for (const Attribute& a : sp.attributes) fill(p->add_attributes(), a);
          p->set_flags(sp.flags);
        }
      }
    }
    out.clear();
    req.SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, out.size());
}
BENCHMARK(BM_PeerLibprotobuf);
#endif

}  // namespace

BENCHMARK_MAIN();
