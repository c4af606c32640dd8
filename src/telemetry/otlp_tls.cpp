#include "telemetry/otlp_tls.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "core/redact.hpp"

namespace loadgen::telemetry {

net::TlsOptions otlp_tls_options(const otel::OtlpExporterConfig& config, core::LogSink* log) {
  net::TlsOptions tls;
  tls.ca_file = config.certificate_file;
  tls.client_certificate_file = config.client_certificate_file;
  tls.client_key_file = config.client_key_file;
  const bool any_file =
      !tls.ca_file.empty() || !tls.client_certificate_file.empty() || !tls.client_key_file.empty();
  if (!any_file || !config.tls || !log) return tls;
  if (const std::string error = net::check_tls_options(tls); !error.empty()) {
    const std::string_view signal = otel::signal_env_name(config.signal);
    log->log(core::LogLevel::kWarning,
             fmt::format("OTEL_EXPORTER_OTLP_[{0}_]CERTIFICATE / CLIENT_CERTIFICATE / CLIENT_KEY: "
                         "{1}; exports to {2} will fail the TLS handshake",
                         signal, error, core::redact_userinfo(config.endpoint)));
  }
  return tls;
}

}  // namespace loadgen::telemetry
