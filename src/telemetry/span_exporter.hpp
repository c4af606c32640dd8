// Exporter<Batch>: the seam between a batch pipeline and where batches go (OTLP, an OTLP
// JSON-lines file, the console). Modelled on the SDK spec's SpanExporter / LogRecordExporter
// (Export, Shutdown). Called by the pipeline on its exporter thread only, one export at a
// time; the pipeline owns the exporters and the batch (borrowed for the duration of the
// export). SpanExporter exports ResourceSpans, LogExporter ResourceLogs, MetricExporter
// ResourceMetrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/task.hpp"
#include "otel/log_data.hpp"
#include "otel/metric_data.hpp"
#include "otel/span_data.hpp"

namespace loadgen::telemetry {

using Clock = std::chrono::steady_clock;

// ExportResult (trace/sdk.md "Export"): success, or failure; we also say whether a retry could
// have helped (the exporter already retried within the deadline when it was allowed to).
struct ExportResult {
  enum class Code : std::uint8_t { kSuccess, kRetryableFailure, kFailure };
  Code code = Code::kSuccess;
  std::string message;        // empty on success
  std::int64_t rejected = 0;  // items the receiver refused in a partial success (OTLP)
  std::uint32_t retries = 0;  // attempts after the first
  bool ok() const { return code == Code::kSuccess; }
};

std::string_view to_string(ExportResult::Code c);

template <class Batch>
class Exporter {
 public:
  virtual ~Exporter() = default;
  // Exports one batch; must finish by `deadline` (give up with kRetryableFailure when it would
  // not). Never throws; the batch is only read.
  virtual core::Task<ExportResult> export_batch(const std::vector<Batch>& batch,
                                                Clock::time_point deadline) = 0;
  // Releases what the exporter holds (connections, files). No export follows.
  virtual void shutdown() = 0;
  // Makes an in-flight export end now (as a failure), and later ones fail at once; the
  // pipeline calls it when its shutdown deadline passes. Exporters that never wait ignore it.
  virtual void cancel() {}
  // The process is exiting: from now on each export makes one attempt, without retries, so a
  // dead collector cannot hold the exit for the whole export timeout. Exporter thread.
  virtual void final_flush() {}
  // Short name for logs and counters, e.g. "otlp http/protobuf".
  virtual std::string_view name() const = 0;
};

using SpanExporter = Exporter<otel::ResourceSpans>;
using LogExporter = Exporter<otel::ResourceLogs>;
using MetricExporter = Exporter<otel::ResourceMetrics>;

}  // namespace loadgen::telemetry
