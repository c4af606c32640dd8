// Micro-benchmark of the HTTP/1.1 response head parser (parse_response_head: status line, field
// section, framing), once per response on the client's request path. Two heads: what nginx sends
// for a static file (8 fields), alone and with its body behind it as in the client's read buffer,
// and a longer one (20 fields, a 200-byte Set-Cookie). Also the field section alone. Figures in
// ns per head and bytes per second; asserts nothing. No peer figure: wrk's parser (http-parser)
// is not a dependency of ours.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "http/field_line.hpp"
#include "http/response_parser.hpp"

namespace {

using loadgen::http::HeaderField;
using loadgen::http::HeadResult;
using loadgen::http::ResponseHead;

std::string nginx_head() {
  return "HTTP/1.1 200 OK\r\n"
         "Server: nginx/1.22.1\r\n"
         "Date: Mon, 07 Dec 2026 19:23:16 GMT\r\n"
         "Content-Type: text/html\r\n"
         "Content-Length: 615\r\n"
         "Last-Modified: Tue, 13 Jun 2023 15:08:10 GMT\r\n"
         "Connection: keep-alive\r\n"
         "ETag: \"6488865a-267\"\r\n"
         "Accept-Ranges: bytes\r\n"
         "\r\n";
}

std::string long_head() {
  std::string cookie = "session=";
  for (int i = 0; cookie.size() < 200; ++i) cookie += static_cast<char>('a' + i % 26);
  return "HTTP/1.1 200 OK\r\n"
         "Server: nginx/1.22.1\r\n"
         "Date: Mon, 07 Dec 2026 19:23:16 GMT\r\n"
         "Content-Type: application/json; charset=utf-8\r\n"
         "Content-Length: 4821\r\n"
         "Connection: keep-alive\r\n"
         "Vary: Accept-Encoding, Origin\r\n"
         "Cache-Control: private, no-cache, no-store, must-revalidate, max-age=0\r\n"
         "Pragma: no-cache\r\n"
         "Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
         "Set-Cookie: " +
         cookie +
         "; Path=/; HttpOnly; Secure; SameSite=Lax\r\n"
         "Set-Cookie: csrftoken=Zm9vYmFyYmF6cXV4; Path=/; SameSite=Strict\r\n"
         "X-Request-Id: 7f3c9a2e-4b1d-4e8f-9c6a-2d5e8b1f0a3c\r\n"
         "X-Frame-Options: SAMEORIGIN\r\n"
         "X-Content-Type-Options: nosniff\r\n"
         "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
         "Content-Security-Policy: default-src 'self'; img-src 'self' data:; script-src 'self'\r\n"
         "Access-Control-Allow-Origin: https://shop.example.test\r\n"
         "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
         "ETag: W/\"12d5-1a2b3c4d5e6f\"\r\n"
         "Last-Modified: Tue, 13 Jun 2023 15:08:10 GMT\r\n"
         "\r\n";
}

void run_head(benchmark::State& state, const std::string& head) {
  ResponseHead out;
  for (auto _ : state) {
    const HeadResult r = parse_response_head(head.data(), head.size(), false, out, 64 * 1024);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.fields.data());
    if (r.kind != HeadResult::Kind::kDone) state.SkipWithError("head did not parse");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(head.size()));
  state.counters["fields"] = static_cast<double>(out.fields.size());
}

void BM_ParseResponseHeadNginx(benchmark::State& state) { run_head(state, nginx_head()); }
BENCHMARK(BM_ParseResponseHeadNginx);

// As the client sees it: the head with its 615-byte body behind it in the read buffer.
void BM_ParseResponseHeadNginxBodyBehind(benchmark::State& state) {
  const std::string head = nginx_head();
  const std::string buffer = head + std::string(615, 'b');
  ResponseHead out;
  for (auto _ : state) {
    const HeadResult r = parse_response_head(buffer.data(), buffer.size(), false, out, 64 * 1024);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.fields.data());
    if (r.consumed != head.size()) state.SkipWithError("head did not parse");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(head.size()));
}
BENCHMARK(BM_ParseResponseHeadNginxBodyBehind);

void BM_ParseResponseHeadLong(benchmark::State& state) { run_head(state, long_head()); }
BENCHMARK(BM_ParseResponseHeadLong);

// The shared field-section parser alone (also the server side's), on the long head's fields.
void BM_ParseFieldSectionLong(benchmark::State& state) {
  const std::string head = long_head();
  const std::string section = head.substr(head.find('\n') + 1);
  std::vector<HeaderField> fields;
  for (auto _ : state) {
    fields.clear();
    const auto r = loadgen::http::parse_field_section(section, fields);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(fields.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(section.size()));
}
BENCHMARK(BM_ParseFieldSectionLong);

}  // namespace

BENCHMARK_MAIN();
