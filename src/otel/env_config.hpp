// SDK configuration from the standard OTEL_* environment variables (sdk-environment-
// variables.md, protocol/exporter.md; see shared/reference/otel.md §a). The app passes the
// environment in as a map; nothing here reads the process environment. Traces use
// traces_config_from_env; metrics and logs reuse the readers, batch, limits, exporter-selection
// and OTLP exporter parts with their own Signal.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "otel/metrics/instrument.hpp"
#include "otel/sampler.hpp"

namespace loadgen::otel {

using Env = std::map<std::string, std::string>;

// Reads variables with the spec's general parsing rules, appending one warning per problem:
// empty = unset; booleans true only for case-insensitive "true" (warn on anything but
// true/false); integers 0..2^31-1 else warn and unset; durations/timeouts integer ms;
// enums case-insensitive, unknown → warn and unset.
class EnvReader {
 public:
  EnvReader(const Env& env, std::vector<std::string>* warnings) : env_(env), warnings_(warnings) {}

  // The value, or nullopt when unset or empty (leading/trailing spaces trimmed).
  std::optional<std::string_view> get(std::string_view name) const;
  std::optional<bool> boolean(std::string_view name) const;
  std::optional<std::uint32_t> integer(std::string_view name) const;
  std::optional<std::chrono::milliseconds> duration(std::string_view name) const;
  // The lower-cased value if it is one of choices.
  std::optional<std::string> choice(std::string_view name,
                                    std::initializer_list<std::string_view> choices) const;
  void warn(std::string message) const;

 private:
  const Env& env_;
  std::vector<std::string>* warnings_;
};

enum class Signal : std::uint8_t { kTraces, kMetrics, kLogs };
std::string_view signal_env_name(Signal s);   // "TRACES", "METRICS", "LOGS"
std::string_view signal_http_path(Signal s);  // "v1/traces", "v1/metrics", "v1/logs"

// ---- OTLP exporter (every OTEL_EXPORTER_OTLP_* and OTEL_EXPORTER_OTLP_<SIGNAL>_*) ----
enum class OtlpProtocol : std::uint8_t { kGrpc, kHttpProtobuf, kHttpJson };
enum class OtlpCompression : std::uint8_t { kNone, kGzip };

struct OtlpExporterConfig {
  Signal signal = Signal::kTraces;
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  // HTTP: the full URL to POST to. Generic endpoint + "v1/<signal>" joined by exactly one '/';
  // per-signal endpoint as-is ("/" added only when it has no path); default
  // http://localhost:4318/v1/<signal>. gRPC: scheme://host:port as given (no path appended),
  // default http://localhost:4317; a scheme-less gRPC endpoint gets https:// unless insecure.
  std::string endpoint;
  bool tls = false;  // https scheme (the scheme wins over insecure)
  // Per-signal list merged over the generic one per key (case-insensitive); percent-decoded.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};  // per export, retries included; 0 = no limit
  OtlpCompression compression = OtlpCompression::kNone;
  bool insecure = false;                // gRPC, scheme-less endpoints only
  std::string certificate_file;         // PEM CA bundle for verifying the server
  std::string client_key_file;          // PEM private key (mTLS)
  std::string client_certificate_file;  // PEM certificate chain (mTLS)
};

// Fails (code "bad_value") only for an endpoint that is not a usable URL (no http(s) scheme, no
// host, a port outside 1..65535); everything else warns and falls back as the spec says.
// Messages show the endpoint with its userinfo redacted, and name a malformed header entry by
// its position and key only: values are never printed.
core::Result<OtlpExporterConfig> otlp_exporter_config_from_env(const Env& env, Signal signal,
                                                               std::vector<std::string>* warnings);

// Parses an OTEL_EXPORTER_OTLP_*HEADERS value: "k1=v1,k2=v2" (W3C-Baggage-like, no
// properties), OWS trimmed, key and value percent-decoded; members that are malformed, have an
// empty key or value, a key that is not an HTTP token or a value with control characters are
// skipped with a warning naming var. A repeated key keeps the later value.
std::vector<std::pair<std::string, std::string>> parse_otlp_headers(
    std::string_view value, std::string_view var, std::vector<std::string>* warnings);

// ---- batch processors (OTEL_BSP_* for spans, OTEL_BLRP_* for log records) ----
struct BatchConfig {
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};  // 0 = no limit
  std::uint32_t max_queue_size = 2048;              // > 0
  std::uint32_t max_export_batch_size = 512;        // > 0, <= max_queue_size
};
inline constexpr BatchConfig kBspDefaults{};
inline constexpr BatchConfig kBlrpDefaults{std::chrono::milliseconds(1000),
                                           std::chrono::milliseconds(30000), 2048, 512};
// prefix: "OTEL_BSP_" or "OTEL_BLRP_". A batch size above the queue size is lowered to it.
BatchConfig batch_config_from_env(const Env& env, std::string_view prefix,
                                  const BatchConfig& defaults, std::vector<std::string>* warnings);

// ---- limits: model-specific if set, else the general OTEL_ATTRIBUTE_*, else the default ----
struct SpanLimits {
  std::optional<std::uint32_t> attribute_value_length_limit;  // nullopt = no limit
  std::uint32_t attribute_count_limit = 128;
  std::uint32_t event_count_limit = 128;
  std::uint32_t link_count_limit = 128;
  std::uint32_t event_attribute_count_limit = 128;
  std::uint32_t link_attribute_count_limit = 128;
};
SpanLimits span_limits_from_env(const Env& env, std::vector<std::string>* warnings);

struct LogRecordLimits {
  std::optional<std::uint32_t> attribute_value_length_limit;
  std::uint32_t attribute_count_limit = 128;
};
LogRecordLimits log_record_limits_from_env(const Env& env, std::vector<std::string>* warnings);

// ---- propagators (OTEL_PROPAGATORS) ----
enum class Propagator : std::uint8_t { kTraceContext, kBaggage, kB3, kB3Multi };
// Comma list, case-insensitive, deduplicated, in order; default tracecontext,baggage; "none"
// → empty; jaeger, xray, ottrace (unsupported) and unknown names → warning, skipped.
std::vector<Propagator> propagators_from_env(const Env& env, std::vector<std::string>* warnings);

// ---- exporter selection (OTEL_{TRACES,METRICS,LOGS}_EXPORTER) ----
enum class ExporterKind : std::uint8_t {
  kOtlp,        // "otlp": the OTLP exporter configured by OtlpExporterConfig
  kConsole,     // "console" (and its deprecated alias "logging")
  kOtlpStdout,  // "otlp/stdout" (dev): OTLP/JSON lines on stdout
  kOtlpFile,    // loadgen's own: OTLP/JSON lines appended to a file (see below)
  kPrometheus,  // "prometheus": metrics only
};
struct ExporterSelection {
  std::vector<ExporterKind> kinds;  // empty = none
  std::string otlp_file_path;       // for kOtlpFile
  std::string otlp_file_var;        // the variable that gave otlp_file_path (for messages)
};
// Comma list, case-insensitive, deduplicated; default "otlp"; "none" → nothing; zipkin and
// unknown names → warning, skipped. loadgen extension: LOADGEN_OTLP_<SIGNAL>_FILE, else
// LOADGEN_OTLP_FILE, = a path adds kOtlpFile (one JSON-encoded TracesData / MetricsData /
// LogsData per line, as the OTLP file exporter spec writes); when it is set and the
// OTEL_<SIGNAL>_EXPORTER variable is not, the default "otlp" is not added.
ExporterSelection exporters_from_env(const Env& env, Signal signal,
                                     std::vector<std::string>* warnings);

// ---- sampler (OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG) ----
// Default parentbased_always_on; jaeger_remote, parentbased_jaeger_remote and xray are not
// supported → warning and the default. The ratio argument must be a number in [0, 1]; invalid
// → warning and 1.0.
Sampler sampler_from_env(const Env& env, std::vector<std::string>* warnings);

// ---- everything for traces ----
struct TracesConfig {
  bool sdk_disabled = false;  // OTEL_SDK_DISABLED: no spans at all; propagators still apply
  Sampler sampler;
  std::vector<Propagator> propagators{Propagator::kTraceContext, Propagator::kBaggage};
  ExporterSelection exporters{{ExporterKind::kOtlp}, {}, {}};
  BatchConfig batch;
  SpanLimits limits;
  OtlpExporterConfig otlp;
};

// Fails only when the SDK is enabled and either the OTLP exporter is selected and its endpoint
// is not a usable URL, or LOADGEN_OTLP_[SIGNAL_]FILE names a folder or a file in a missing
// folder; every other problem is a warning and the spec's fallback.
core::Result<TracesConfig> traces_config_from_env(const Env& env,
                                                  std::vector<std::string>* warnings);

// ---- everything for logs ----
struct LogsConfig {
  bool sdk_disabled = false;  // OTEL_SDK_DISABLED: no log records are exported
  ExporterSelection exporters{{ExporterKind::kOtlp}, {}, {}};  // OTEL_LOGS_EXPORTER
  BatchConfig batch = kBlrpDefaults;                           // OTEL_BLRP_*
  LogRecordLimits limits;                                      // OTEL_LOGRECORD_*
  OtlpExporterConfig otlp;                                     // OTEL_EXPORTER_OTLP_[LOGS_]*
};
// Same failure rule as traces_config_from_env, for the logs exporter.
core::Result<LogsConfig> logs_config_from_env(const Env& env, std::vector<std::string>* warnings);

// ---- everything for metrics ----
inline OtlpExporterConfig metrics_otlp_defaults() {
  OtlpExporterConfig c;
  c.signal = Signal::kMetrics;
  c.endpoint = "http://localhost:4318/v1/metrics";
  return c;
}
struct MetricsConfig {
  bool sdk_disabled = false;  // OTEL_SDK_DISABLED: no metrics at all
  ExporterSelection exporters{{ExporterKind::kOtlp}, {}, {}};  // OTEL_METRICS_EXPORTER
  // Periodic exporting MetricReader: OTEL_METRIC_EXPORT_INTERVAL (between the starts of two
  // exports; > 0) and OTEL_METRIC_EXPORT_TIMEOUT (0 = no limit).
  std::chrono::milliseconds export_interval{60000};
  std::chrono::milliseconds export_timeout{30000};
  metrics::ExemplarFilter exemplar_filter = metrics::ExemplarFilter::kTraceBased;
  // OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, _DEFAULT_HISTOGRAM_AGGREGATION.
  metrics::TemporalityPreference temporality = metrics::TemporalityPreference::kCumulative;
  metrics::HistogramAggregation histogram_aggregation =
      metrics::HistogramAggregation::kExplicitBucket;
  OtlpExporterConfig otlp = metrics_otlp_defaults();
  // OTEL_EXPORTER_PROMETHEUS_HOST / _PORT: where the Prometheus exporter serves /metrics.
  std::string prometheus_host = "localhost";
  std::uint16_t prometheus_port = 9464;
};

// Like traces_config_from_env: fails only when the OTLP exporter is selected (and the SDK
// enabled) and its endpoint is not a usable URL; every other problem is a warning naming the
// variable and value, and the spec's default.
core::Result<MetricsConfig> metrics_config_from_env(const Env& env,
                                                    std::vector<std::string>* warnings);

}  // namespace loadgen::otel
