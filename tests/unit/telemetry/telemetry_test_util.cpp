#include "telemetry_test_util.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "core/task.hpp"
#include "loop_runner.hpp"

namespace loadgen::telemetry::testing {

otel::SpanData make_span(std::uint32_t i) {
  otel::SpanData s;
  for (std::size_t k = 0; k < s.trace_id.size(); ++k)
    s.trace_id[k] = static_cast<std::uint8_t>(i + k + 1);
  for (std::size_t k = 0; k < s.span_id.size(); ++k)
    s.span_id[k] = static_cast<std::uint8_t>(i * 3 + k + 1);
  s.name = "span-" + std::to_string(i);
  s.kind = otel::SpanKind::kClient;
  s.start_time_unix_nano = 1'700'000'000'000'000'000ull + i;
  s.end_time_unix_nano = s.start_time_unix_nano + 1'500'000;
  s.attributes.push_back({"http.request.method", otel::AttrValue{std::string("GET")}});
  s.attributes.push_back({"index", otel::AttrValue{static_cast<std::int64_t>(i)}});
  s.flags = 0x101;
  return s;
}

otel::Resource make_resource() {
  otel::Resource r;
  r.attributes.push_back({"service.name", otel::AttrValue{std::string("loadgen-test")}});
  r.schema_url = "https://opentelemetry.io/schemas/1.44.0";
  return r;
}

std::vector<otel::ResourceSpans> make_batch(std::uint32_t n) {
  otel::ResourceSpans rs;
  rs.resource = make_resource();
  otel::ScopeSpans ss;
  ss.scope.name = "loadgen";
  ss.scope.version = "0.1";
  for (std::uint32_t i = 0; i < n; ++i) ss.spans.push_back(make_span(i));
  rs.scope_spans.push_back(std::move(ss));
  return {std::move(rs)};
}

bool gunzip(std::string_view in, std::string& out) {
  out.clear();
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END;
}

void RecordingLog::log(core::LogLevel, std::string_view message) {
  std::lock_guard lk(mu_);
  lines_.emplace_back(message);
}

std::vector<std::string> RecordingLog::lines() const {
  std::lock_guard lk(mu_);
  return lines_;
}

bool RecordingLog::contains(std::string_view needle) const {
  std::lock_guard lk(mu_);
  for (const auto& l : lines_)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

void FakeSpanSource::push(std::uint32_t first_index, std::uint32_t n) {
  std::lock_guard lk(mu_);
  for (std::uint32_t i = 0; i < n; ++i) pending_.push_back(make_span(first_index + i));
}

void FakeSpanSource::add_buffer_drops(std::uint64_t n) {
  std::lock_guard lk(mu_);
  drops_ += n;
}

void FakeSpanSource::set_per_drain(std::uint32_t n) {
  std::lock_guard lk(mu_);
  per_drain_ = n;
}

void FakeSpanSource::drain(std::vector<otel::SpanData>& out, std::uint64_t& dropped) {
  std::lock_guard lk(mu_);
  ++drains_;
  for (auto& s : pending_) out.push_back(std::move(s));
  pending_.clear();
  for (std::uint32_t i = 0; i < per_drain_; ++i) out.push_back(make_span(next_++));
  dropped += drops_;
  drops_ = 0;
}

std::uint64_t FakeSpanSource::drains() const {
  std::lock_guard lk(mu_);
  return drains_;
}

ExportResult run_export(net::EventLoop& loop, SpanExporter& e,
                        const std::vector<otel::ResourceSpans>& batch,
                        std::chrono::milliseconds timeout) {
  ExportResult out;
  auto body = [&]() -> core::Task<void> {
    out = co_await e.export_batch(batch, Clock::now() + timeout);
  };
  EXPECT_TRUE(loadgen::testing::run_on_loop(loop, body, std::chrono::seconds(30)));
  return out;
}

}  // namespace loadgen::telemetry::testing
