// LogRecordSink / LogSource: the log-record counterparts of SpanSink / SpanSource. A worker
// records its users' log records into its own buffer (LogRecordSink, worker thread only, never
// blocks: a full buffer drops and counts); the log pipeline drains every buffer by message
// (LogSource, exporter thread only).
#pragma once

#include <cstdint>
#include <vector>

#include "otel/log_data.hpp"

namespace loadgen::otel {

class LogRecordSink {
 public:
  virtual void record(LogRecord&& record) = 0;

 protected:
  ~LogRecordSink() = default;
};

class LogSource {
 public:
  // Appends the records finished since the last call to `out`, and adds to `dropped` the
  // number the buffers had to drop because they were full. May wait briefly for workers.
  virtual void drain(std::vector<LogRecord>& out, std::uint64_t& dropped) = 0;

 protected:
  ~LogSource() = default;
};

}  // namespace loadgen::otel
