// TLS settings of a loop's client connections (--insecure, the OTLP exporters' PEM files),
// and their check at configuration time. OpenSSL stays in net's .cpp files.
#pragma once

#include <string>

namespace loadgen::net {

struct TlsOptions {
  bool verify = true;  // --insecure turns it off
  // PEM files (OTEL_EXPORTER_OTLP_CERTIFICATE / CLIENT_CERTIFICATE / CLIENT_KEY for the OTLP
  // exporters). ca_file replaces the system CAs when set; the client pair enables mTLS.
  std::string ca_file;
  std::string client_certificate_file;
  std::string client_key_file;
};

// Builds the TLS context `tls` describes and returns what failed ("" when it loads), e.g.
// "CA file /x: no such file". Lets callers report bad files once, at configuration time.
std::string check_tls_options(const TlsOptions& tls);

}  // namespace loadgen::net
