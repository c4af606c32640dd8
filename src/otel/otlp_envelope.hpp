// The envelope the three OTLP signals share, for the protobuf and JSON encoders (internal to
// otel): Resource<X> {1 resource, 2 repeated Scope<X>, 3 schema_url} and Scope<X> {1 scope,
// 2 repeated items, 3 schema_url}, the same in trace.proto, metrics.proto and logs.proto.
// Also which parts are sent: the OTLP spec says senders SHOULD NOT send empty envelopes (a
// Resource<X> without Scope<X>, a Scope<X> without items), so those are skipped, as are
// metrics without data points.
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

#include "otel/log_data.hpp"
#include "otel/metric_data.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel {

template <class ResourceT>
struct Envelope;

template <>
struct Envelope<ResourceSpans> {
  using Scope = ScopeSpans;
  using Item = SpanData;
  static constexpr std::string_view kResourcesKey = "resourceSpans";  // OTLP/JSON names
  static constexpr std::string_view kScopesKey = "scopeSpans";
  static constexpr std::string_view kItemsKey = "spans";
  static const std::vector<ScopeSpans>& scopes(const ResourceSpans& r) { return r.scope_spans; }
  static const std::vector<SpanData>& items(const ScopeSpans& s) { return s.spans; }
  static bool sendable(const SpanData&) { return true; }
  // Items beside items(s): the compact CLIENT spans (always sendable).
  static bool has_more(const ScopeSpans& s) { return span_count(s) != s.spans.size(); }
};

template <>
struct Envelope<ResourceMetrics> {
  using Scope = ScopeMetrics;
  using Item = Metric;
  static constexpr std::string_view kResourcesKey = "resourceMetrics";
  static constexpr std::string_view kScopesKey = "scopeMetrics";
  static constexpr std::string_view kItemsKey = "metrics";
  static const std::vector<ScopeMetrics>& scopes(const ResourceMetrics& r) {
    return r.scope_metrics;
  }
  static const std::vector<Metric>& items(const ScopeMetrics& s) { return s.metrics; }
  static bool sendable(const Metric& m) { return data_point_count(m) != 0; }
  static bool has_more(const ScopeMetrics&) { return false; }
};

template <>
struct Envelope<ResourceLogs> {
  using Scope = ScopeLogs;
  using Item = LogRecord;
  static constexpr std::string_view kResourcesKey = "resourceLogs";
  static constexpr std::string_view kScopesKey = "scopeLogs";
  static constexpr std::string_view kItemsKey = "logRecords";
  static const std::vector<ScopeLogs>& scopes(const ResourceLogs& r) { return r.scope_logs; }
  static const std::vector<LogRecord>& items(const ScopeLogs& s) { return s.log_records; }
  static bool sendable(const LogRecord&) { return true; }
  static bool has_more(const ScopeLogs&) { return false; }
};

template <class ResourceT>
bool sendable_scope(const typename Envelope<ResourceT>::Scope& s) {
  const auto& items = Envelope<ResourceT>::items(s);
  if (Envelope<ResourceT>::has_more(s)) return true;
  return std::any_of(items.begin(), items.end(),
                     [](const auto& item) { return Envelope<ResourceT>::sendable(item); });
}

template <class ResourceT>
bool sendable_resource(const ResourceT& r) {
  const auto& scopes = Envelope<ResourceT>::scopes(r);
  return std::any_of(scopes.begin(), scopes.end(),
                     [](const auto& s) { return sendable_scope<ResourceT>(s); });
}

}  // namespace loadgen::otel
