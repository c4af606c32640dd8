// Shared helpers of the telemetry tests: spans and batches, a recording LogSink, a fake
// SpanSource, gunzip, and running one export on an EventLoop.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/log_sink.hpp"
#include "net/event_loop.hpp"
#include "otel/span_data.hpp"
#include "otel/span_source.hpp"
#include "telemetry/span_exporter.hpp"

namespace loadgen::telemetry::testing {

otel::SpanData make_span(std::uint32_t i);
otel::Resource make_resource();
std::vector<otel::ResourceSpans> make_batch(std::uint32_t n);

// Replaces `out` with the decompressed gzip data; false when it is not gzip.
bool gunzip(std::string_view in, std::string& out);

class RecordingLog final : public core::LogSink {
 public:
  void log(core::LogLevel level, std::string_view message) override;
  std::vector<std::string> lines() const;
  bool contains(std::string_view needle) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// Spans pushed by the test, handed out on drain (with an optional extra "buffer drops" count).
class FakeSpanSource final : public otel::SpanSource {
 public:
  void push(std::uint32_t first_index, std::uint32_t n);
  void add_buffer_drops(std::uint64_t n);
  // Every drain also produces `n` new spans (a source that never runs dry).
  void set_per_drain(std::uint32_t n);
  void drain(std::vector<otel::SpanData>& out, std::uint64_t& dropped) override;
  std::uint64_t drains() const;

 private:
  mutable std::mutex mu_;
  std::vector<otel::SpanData> pending_;
  std::uint64_t drops_ = 0;
  std::uint32_t per_drain_ = 0;
  std::uint32_t next_ = 100000;
  std::uint64_t drains_ = 0;
};

ExportResult run_export(net::EventLoop& loop, SpanExporter& e,
                        const std::vector<otel::ResourceSpans>& batch,
                        std::chrono::milliseconds timeout);

}  // namespace loadgen::telemetry::testing
