#include "telemetry/trace_pipeline.hpp"

#include <algorithm>
#include <utility>

#include "telemetry/batch_pipeline_impl.hpp"
#include "telemetry/file_exporter.hpp"
#include "telemetry/otlp_transport.hpp"

namespace loadgen::telemetry {

template class ExporterThread<otel::ResourceSpans>;
template class BatchPipeline<TraceSignal>;

namespace {
constexpr std::size_t kMaxSpareBuffers = 16;  // a backlog's buffers are not all kept
}  // namespace

void SpanQueue::drain_from(otel::SpanSource& source, std::uint64_t& dropped) {
  drained_.spans.clear();
  drained_.client.clear();
  drained_.dropped = 0;
  source.drain_into(drained_);
  dropped += drained_.dropped;
}

void SpanQueue::accept(std::size_t capacity, std::uint64_t& dropped) {
  for (auto& s : drained_.spans) {
    if (size() < capacity) {
      spans_.push_back(std::move(s));
    } else {
      ++dropped;  // BSP: a full queue drops new spans
    }
  }
  drained_.spans.clear();
  for (auto& buffer : drained_.client) {
    const std::size_t room = capacity - std::min(capacity, size());
    if (buffer->records.size() > room) {
      dropped += buffer->records.size() - room;
      buffer->records.resize(room);
    }
    if (buffer->records.empty()) {
      recycle(std::move(buffer));
    } else {
      client_size_ += buffer->records.size();
      client_.push_back(std::move(buffer));
    }
  }
  drained_.client.clear();
}

void SpanQueue::take(std::size_t n, otel::ResourceSpans& batch) {
  otel::ScopeSpans& scope = batch.scope_spans.front();
  scope.spans.clear();
  scope.client_spans.clear();
  for (; n > 0 && !spans_.empty(); --n) {
    scope.spans.push_back(std::move(spans_.front()));
    spans_.pop_front();
  }
  while (n > 0 && !client_.empty()) {
    const otel::ClientSpans& buffer = *client_.front();
    const std::size_t k = std::min(n, buffer.records.size() - head_);
    scope.client_spans.push_back({&buffer, head_, k});
    head_ += k;
    n -= k;
    client_size_ -= k;
    if (head_ == buffer.records.size()) {
      // Used up; still read by this batch's export, so kept until release().
      taken_.push_back(std::move(client_.front()));
      client_.pop_front();
      head_ = 0;
    }
  }
}

void SpanQueue::release(otel::ResourceSpans& batch) {
  otel::ScopeSpans& scope = batch.scope_spans.front();
  scope.spans.clear();
  scope.client_spans.clear();
  for (auto& buffer : taken_) recycle(std::move(buffer));
  taken_.clear();
}

void SpanQueue::clear() {
  spans_.clear();
  for (auto& buffer : client_) recycle(std::move(buffer));
  client_.clear();
  head_ = 0;
  client_size_ = 0;
}

void SpanQueue::recycle(std::unique_ptr<otel::ClientSpans> buffer) {
  if (drained_.spare.size() >= kMaxSpareBuffers) return;
  buffer->clear();
  drained_.spare.push_back(std::move(buffer));
}

otel::ResourceSpans TraceSignal::make_batch(otel::Resource resource,
                                            otel::InstrumentationScope scope) {
  otel::ScopeSpans ss;
  ss.schema_url = resource.schema_url;
  ss.scope = std::move(scope);
  otel::ResourceSpans rs;
  rs.resource = std::move(resource);
  rs.scope_spans.push_back(std::move(ss));
  return rs;
}

Exporters make_exporters(const otel::TracesConfig& config, net::EventLoop& loop,
                         core::LogSink* log) {
  Exporters out;
  for (otel::ExporterKind kind : config.exporters.kinds) {
    switch (kind) {
      case otel::ExporterKind::kOtlp:
        out.push_back(std::make_unique<OtlpSpanExporter>(
            make_otlp_transport(loop, config.otlp, kTracesCodec, log)));
        break;
      case otel::ExporterKind::kConsole:
        out.push_back(std::make_unique<ConsoleSpanExporter>(stderr));
        break;
      case otel::ExporterKind::kOtlpStdout:
        out.push_back(std::make_unique<OtlpFileSpanExporter>(stdout, log));
        break;
      case otel::ExporterKind::kOtlpFile:
        out.push_back(std::make_unique<OtlpFileSpanExporter>(config.exporters.otlp_file_path, log));
        break;
      case otel::ExporterKind::kPrometheus:
        break;  // metrics only
    }
  }
  return out;
}

}  // namespace loadgen::telemetry
