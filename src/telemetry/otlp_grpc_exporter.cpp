#include "telemetry/otlp_grpc_exporter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "core/clock.hpp"
#include "core/redact.hpp"
#include "otel/otlp_proto.hpp"
#include "telemetry/grpc_status.hpp"

namespace loadgen::telemetry {

namespace {

std::string clip(std::string_view s, std::size_t n = 300) {
  return s.size() <= n ? std::string(s) : std::string(s.substr(0, n)) + "...";
}

}  // namespace

OtlpGrpcTransport::OtlpGrpcTransport(net::EventLoop& loop, const otel::OtlpExporterConfig& config,
                                     const OtlpSignalCodec& codec, core::LogSink* log,
                                     RetryPolicy retry)
    : RetryingTransport(loop, config, retry,
                        static_cast<std::uint64_t>(core::wall_ns()) ^ 0x5A5A5A5Aull),
      codec_(codec),
      log_(log) {
  auto ch = OtlpGrpcChannel::open(loop_, config_);
  if (ch) {
    channel_ = std::move(*ch);
  } else {
    open_error_ = ch.error().message;
    if (!ch.error().hint.empty()) open_error_ += " (" + ch.error().hint + ")";
    if (log_)
      log_->log(core::LogLevel::kError,
                fmt::format("OTLP gRPC exporter disabled, {} will not be exported: {}",
                            codec_.items, open_error_));
  }
}

OtlpGrpcTransport::~OtlpGrpcTransport() = default;

void OtlpGrpcTransport::on_shutdown() { channel_.reset(); }

void OtlpGrpcTransport::on_cancel() {
  if (channel_) channel_->cancel_all();  // the call in flight completes with CANCELLED
}

RetryingTransport::Attempt OtlpGrpcTransport::on_result(const GrpcCallResult& r) {
  Attempt a;
  ExportResult& res = a.result;
  if (r.ok()) {
    // ExportTraceServiceResponse; partial_success is never retried (OTLP "Partial Success").
    auto ps = codec_.decode_proto(r.response);
    if (!ps) {
      if (log_)
        log_->log(core::LogLevel::kWarning,
                  fmt::format("OTLP gRPC exporter: undecodable success response from {}: {}",
                              core::redact_userinfo(config_.endpoint), ps.error().message));
      return a;
    }
    if (ps->rejected > 0 || !ps->error_message.empty()) {
      res.rejected = ps->rejected;
      if (log_)
        log_->log(core::LogLevel::kWarning,
                  fmt::format("OTLP gRPC exporter: partial success from {}: {} {} rejected: {}",
                              core::redact_userinfo(config_.endpoint), ps->rejected, codec_.items,
                              clip(ps->error_message)));
    }
    return a;
  }
  // grpc-status-details-bin: a google.rpc.Status that may carry RetryInfo (throttling).
  std::string message = r.message;
  if (!r.details.empty()) {
    if (auto st = otel::decode_rpc_status(r.details)) {
      a.retry_delay = st->retry_delay;
      if (message.empty()) message = st->message;
    }
  }
  res.code = is_retryable_grpc_status(r.code, a.retry_delay.has_value())
                 ? ExportResult::Code::kRetryableFailure
                 : ExportResult::Code::kFailure;
  res.message = fmt::format("{}: gRPC {}{}{}", core::redact_userinfo(config_.endpoint),
                            grpc_code_name(r.code), message.empty() ? "" : ": ", clip(message));
  return a;
}

core::Task<RetryingTransport::Attempt> OtlpGrpcTransport::attempt(std::string_view payload,
                                                                  Clock::time_point deadline) {
  GrpcCallOptions opts;
  opts.gzip = config_.compression == otel::OtlpCompression::kGzip;  // gRPC compresses itself
  opts.deadline = deadline;
  // OTLP/gRPC Throttling: on_result reads RetryInfo.retry_delay.
  GrpcCallResult r = co_await channel_->call(codec_.grpc_method, payload, opts);
  co_return on_result(r);
}

}  // namespace loadgen::telemetry
