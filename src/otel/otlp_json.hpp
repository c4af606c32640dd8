// OTLP/JSON encoding of trace, metric and log batches (OTLP spec "JSON Protobuf Encoding":
// proto3 JSON mapping with hex trace/span ids and integer enums) and decoding of the JSON
// responses. Used by the http/json exporter and the JSON-lines file exporter, on the exporter
// thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "otel/log_data.hpp"
#include "otel/metric_data.hpp"
#include "otel/otlp_proto.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel {

// Writes an ExportTraceServiceRequest as one line of compact JSON (no newline) into `out`
// (cleared first; reuse it). Rules: lowerCamelCase keys; traceId/spanId/parentSpanId as
// lowercase hex; enums as integers; int64/fixed64 as decimal strings; doubles as shortest
// round-trip numbers, NaN/±Infinity as "NaN"/"Infinity"/"-Infinity"; zero/empty fields omitted
// (AnyValue members always written); strings escaped per RFC 8259 §7 with ill-formed UTF-8
// replaced by U+FFFD. Empty envelopes are skipped as in encode_export_trace_request.
// The same text is a valid TracesData (same layout), e.g. for OTLP JSON-lines files.
void encode_export_trace_request_json(const std::vector<ResourceSpans>& batch, std::string& out);

// ExportMetricsServiceRequest / ExportLogsServiceRequest as one line of JSON, by the same rules
// and skipping the same parts as their protobuf encoders (otlp_proto.hpp). Metrics: count,
// zeroCount, bucketCounts (an array of strings) and asInt are decimal strings; scale, offset
// and flags numbers; sum/min/max present exactly when set. Logs: severityNumber an integer,
// traceId/spanId hex and left out when all zero. The text is also a MetricsData / LogsData.
void encode_export_metrics_request_json(const std::vector<ResourceMetrics>& batch,
                                        std::string& out);
void encode_export_logs_request_json(const std::vector<ResourceLogs>& batch, std::string& out);

// Decode an Export{Trace,Metrics,Logs}ServiceResponse in JSON ({} or empty body = success;
// partialSuccess with rejectedSpans / rejectedDataPoints / rejectedLogRecords as string or
// number). Unknown fields are ignored. Errors: "bad_response".
core::Result<PartialSuccess> decode_export_trace_response_json(std::string_view body);
core::Result<PartialSuccess> decode_export_metrics_response_json(std::string_view body);
core::Result<PartialSuccess> decode_export_logs_response_json(std::string_view body);

// Decodes a google.rpc.Status in JSON (OTLP/HTTP failure body for JSON requests):
// {"code":14,"message":"...","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo",
// "retryDelay":"1.500s"}]}. Errors: "bad_response".
core::Result<RpcStatus> decode_rpc_status_json(std::string_view body);

}  // namespace loadgen::otel
