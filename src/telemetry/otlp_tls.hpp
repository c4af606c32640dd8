// TLS settings of the OTLP/HTTP exporters from OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE,
// CLIENT_CERTIFICATE and CLIENT_KEY (protocol/exporter.md). The files are checked once here;
// a file that does not load is reported with its path and reason, and exports then fail TLS
// verification (the exporter never falls back to trusting nothing or everything).
#pragma once

#include "core/log_sink.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"

namespace loadgen::telemetry {

// `log` may be null (no report).
net::TlsOptions otlp_tls_options(const otel::OtlpExporterConfig& config, core::LogSink* log);

}  // namespace loadgen::telemetry
