#include "net/tls.hpp"

#include <fmt/format.h>

#include <asio/ssl/context.hpp>
#include <string_view>

#include "net/event_loop_impl.hpp"

namespace loadgen::net {

std::string configure_tls(asio::ssl::context& ctx, const TlsOptions& tls) {
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  std::string error;
  auto note = [&error](std::string_view what, const std::string& path, const asio::error_code& ec) {
    if (!ec || !error.empty()) return;
    error = fmt::format("{} {}: {}", what, path, ec.message());
  };
  asio::error_code ec;
  if (!tls.verify) {
    ctx.set_verify_mode(asio::ssl::verify_none);
  } else {
    if (tls.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);  // no system CAs = every verification fails, clearly
    } else {
      ctx.load_verify_file(tls.ca_file, ec);
      note("CA file", tls.ca_file, ec);
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
  }
  if (!tls.client_certificate_file.empty()) {
    ctx.use_certificate_chain_file(tls.client_certificate_file, ec);
    note("client certificate", tls.client_certificate_file, ec);
  }
  if (!tls.client_key_file.empty()) {
    ctx.use_private_key_file(tls.client_key_file, asio::ssl::context::pem, ec);
    note("client key", tls.client_key_file, ec);
  }
  if (tls.client_certificate_file.empty() != tls.client_key_file.empty() && error.empty()) {
    error = "a client certificate needs its key and a key its certificate (mTLS uses both)";
  }
  return error;
}

std::string check_tls_options(const TlsOptions& tls) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  return configure_tls(ctx, tls);
}

}  // namespace loadgen::net
