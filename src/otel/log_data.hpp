// The otel module's data model for log records, as handed from workers to the exporter thread
// and encoded there (OTLP protobuf/JSON). Plain values; owned by whoever holds them.
// Mirrors OTLP's logs.proto (opentelemetry-proto v1.x, event_name since v1.5.0) and the logs
// data model's severity numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "otel/common.hpp"

namespace loadgen::otel {

// SeverityNumber (logs.proto; logs data model "Field: SeverityNumber"): six ranges of four,
// a larger number is more severe. 0 = unspecified.
// clang-format off
enum class SeverityNumber : std::uint8_t {
  kUnspecified = 0,
  kTrace = 1, kTrace2 = 2, kTrace3 = 3, kTrace4 = 4,
  kDebug = 5, kDebug2 = 6, kDebug3 = 7, kDebug4 = 8,
  kInfo = 9, kInfo2 = 10, kInfo3 = 11, kInfo4 = 12,
  kWarn = 13, kWarn2 = 14, kWarn3 = 15, kWarn4 = 16,
  kError = 17, kError2 = 18, kError3 = 19, kError4 = 20,
  kFatal = 21, kFatal2 = 22, kFatal3 = 23, kFatal4 = 24,
};
// clang-format on

// LogRecordFlags: the low byte of LogRecord.flags holds the W3C trace flags.
inline constexpr std::uint32_t kLogRecordTraceFlagsMask = 0xFF;

struct LogRecord {
  std::uint64_t time_unix_nano = 0;                               // 1 (0 = unknown)
  std::uint64_t observed_time_unix_nano = 0;                      // 11
  SeverityNumber severity_number = SeverityNumber::kUnspecified;  // 2
  std::string severity_text;                                      // 3 (e.g. "INFO")
  std::optional<AttrValue> body;                                  // 5 (absent = no body)
  Attributes attributes;                                          // 6
  std::uint32_t dropped_attributes_count = 0;                     // 7
  std::uint32_t flags = 0;  // 8 (fixed32; low byte = W3C trace flags)
  TraceId trace_id{};       // 9 (all zero = not written)
  SpanId span_id{};         // 10 (all zero = not written)
  std::string event_name;   // 12 (non-empty = the record is an Event)
};

// One export batch: a resource, and log records grouped by instrumentation scope (logger).
struct ScopeLogs {
  InstrumentationScope scope;
  std::vector<LogRecord> log_records;
  std::string schema_url;
};
struct ResourceLogs {
  Resource resource;
  std::vector<ScopeLogs> scope_logs;
};

}  // namespace loadgen::otel
