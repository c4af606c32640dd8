#include "telemetry/otlp_http_exporter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "core/clock.hpp"
#include "core/redact.hpp"
#include "otel/otlp_json.hpp"
#include "telemetry/gzip.hpp"

namespace loadgen::telemetry {

std::string_view to_string(ExportResult::Code c) {
  switch (c) {
    case ExportResult::Code::kSuccess:
      return "success";
    case ExportResult::Code::kRetryableFailure:
      return "retryable_failure";
    case ExportResult::Code::kFailure:
      return "failure";
  }
  return "unknown";
}

namespace {

bool is_json(const otel::OtlpExporterConfig& c) {
  return c.protocol == otel::OtlpProtocol::kHttpJson;
}

std::string clip(std::string_view s, std::size_t n = 200) {
  return s.size() <= n ? std::string(s) : std::string(s.substr(0, n)) + "...";
}

}  // namespace

OtlpHttpTransport::OtlpHttpTransport(net::EventLoop& loop, const otel::OtlpExporterConfig& config,
                                     const OtlpSignalCodec& codec, core::LogSink* log,
                                     RetryPolicy retry)
    : RetryingTransport(loop, config, retry,
                        static_cast<std::uint64_t>(core::wall_ns()) ^ 0xA5A5A5A5ull),
      codec_(codec),
      log_(log),
      name_(is_json(config) ? "otlp http/json" : "otlp http/protobuf") {
  client_config_.user_agent = std::string(kExporterUserAgent);
  client_config_.max_redirects = 0;
  // Content-Type for request and response (OTLP/HTTP "Binary/JSON Protobuf Encoding").
  headers_.push_back(
      {"Content-Type", is_json(config_) ? "application/json" : "application/x-protobuf"});
  if (config_.compression == otel::OtlpCompression::kGzip)
    headers_.push_back({"Content-Encoding", "gzip"});
  for (const auto& [k, v] : config_.headers) headers_.push_back({k, v});
  client_ = std::make_unique<client::HttpClient>(loop_, client_config_, nullptr);
}

OtlpHttpTransport::~OtlpHttpTransport() = default;

void OtlpHttpTransport::on_shutdown() { client_->close_connections(); }

void OtlpHttpTransport::on_cancel() {
  client_->cancel();  // an in-flight request throws core::Cancelled
}

ExportResult OtlpHttpTransport::on_response(const client::Response& r) {
  ExportResult res;
  const int status = r.status_code();
  if (status >= 200 && status < 300) {
    // 200 with ExportTraceServiceResponse; partial_success is never retried.
    auto ps = is_json(config_) ? codec_.decode_json(r.text()) : codec_.decode_proto(r.text());
    if (!ps) {
      // The data was accepted; an unreadable answer is only worth a warning.
      if (log_)
        log_->log(core::LogLevel::kWarning,
                  fmt::format("OTLP exporter: undecodable success response from {}: {}",
                              core::redact_userinfo(config_.endpoint), ps.error().message));
      return res;
    }
    if (ps->rejected > 0 || !ps->error_message.empty()) {
      res.rejected = ps->rejected;
      if (log_)
        log_->log(core::LogLevel::kWarning,
                  fmt::format("OTLP exporter: partial success from {}: {} {} rejected: {}",
                              core::redact_userinfo(config_.endpoint), ps->rejected, codec_.items,
                              clip(ps->error_message)));
    }
    return res;
  }
  if (status == 0) {
    res.code = ExportResult::Code::kRetryableFailure;
    res.message = fmt::format("{}: {}", core::redact_userinfo(config_.endpoint),
                              core::redact_url_in(r.error(), config_.endpoint));
    return res;
  }
  res.code = is_retryable_http_status(status) ? ExportResult::Code::kRetryableFailure
                                              : ExportResult::Code::kFailure;
  // The failure body is a google.rpc.Status in the request's encoding.
  std::string detail;
  if (!r.text().empty()) {
    auto st = is_json(config_) ? otel::decode_rpc_status_json(r.text())
                               : otel::decode_rpc_status(r.text());
    detail = st && !st->message.empty() ? st->message : clip(r.text());
  }
  res.message =
      detail.empty()
          ? fmt::format("{}: HTTP {}", core::redact_userinfo(config_.endpoint), status)
          : fmt::format("{}: HTTP {}: {}", core::redact_userinfo(config_.endpoint), status, detail);
  return res;
}

std::string_view OtlpHttpTransport::payload(const std::string& body, std::string& error) {
  if (config_.compression != otel::OtlpCompression::kGzip) return body;
  if (!gzip_compress(body, compressed_)) {
    error = "gzip compression failed";
    return {};
  }
  return compressed_;
}

core::Task<RetryingTransport::Attempt> OtlpHttpTransport::attempt(std::string_view payload,
                                                                  Clock::time_point deadline) {
  // The client reads its timeouts when a request starts: one request may use what is left.
  client_config_.timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
  client_config_.connect_timeout = client_config_.timeout;
  client::RequestOptions opts;
  opts.headers = headers_;
  opts.body = payload;
  opts.allow_redirects = false;
  client::Response r = co_await client_->post(config_.endpoint, opts);
  Attempt a;
  a.result = on_response(r);
  if (a.result.code == ExportResult::Code::kRetryableFailure) {
    // A server-given delay replaces the computed one (OTLP/HTTP "Throttling").
    const std::string_view ra = r.header("Retry-After");
    if (!ra.empty()) a.retry_delay = parse_retry_after(ra, core::wall_ns() / 1'000'000'000);
  }
  co_return a;
}

}  // namespace loadgen::telemetry
