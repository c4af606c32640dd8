#include "telemetry/otlp_grpc_exporter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "core/clock.hpp"
#include "otel/otlp_proto.hpp"
#include "telemetry/grpc_status.hpp"

namespace loadgen::telemetry {

namespace {

std::string clip(std::string_view s, std::size_t n = 300) {
  return s.size() <= n ? std::string(s) : std::string(s.substr(0, n)) + "...";
}

}  // namespace

OtlpGrpcTransport::OtlpGrpcTransport(client::EventLoop& loop,
                                     const otel::OtlpExporterConfig& config,
                                     const OtlpSignalCodec& codec, core::LogSink* log,
                                     RetryPolicy retry)
    : loop_(loop),
      config_(config),
      codec_(codec),
      log_(log),
      retry_(retry),
      rng_(static_cast<std::uint64_t>(core::wall_ns()) ^ 0x5A5A5A5Aull) {
  auto ch = OtlpGrpcChannel::open(loop_, config_);
  if (ch) {
    channel_ = std::move(*ch);
  } else {
    open_error_ = ch.error().message;
    if (!ch.error().hint.empty()) open_error_ += " (" + ch.error().hint + ")";
    if (log_)
      log_->log(
          core::LogLevel::kError,
          fmt::format("OTLP gRPC exporter disabled, {} will not be exported: {}", codec_.items,
                      open_error_));
  }
}

OtlpGrpcTransport::~OtlpGrpcTransport() {
  if (sleeper_.heap_index != client::Sleeper::kNotQueued) loop_.forget(sleeper_);
}

void OtlpGrpcTransport::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  channel_.reset();  // no export is in flight: the pipeline calls this after its last one
}

void OtlpGrpcTransport::final_flush() {
  final_ = true;
  loop_.wake(sleeper_);  // a retry waiting for its back-off goes now, once
}

void OtlpGrpcTransport::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  if (channel_) channel_->cancel_all();  // the call in flight completes with CANCELLED
  loop_.wake(sleeper_);                  // a back-off sleep ends now
}

OtlpGrpcTransport::Attempt OtlpGrpcTransport::on_result(const GrpcCallResult& r) {
  Attempt a;
  ExportResult& res = a.result;
  if (r.ok()) {
    // ExportTraceServiceResponse; partial_success is never retried (OTLP "Partial Success").
    auto ps = codec_.decode_proto(r.response);
    if (!ps) {
      if (log_)
        log_->log(core::LogLevel::kWarning,
                  fmt::format("OTLP gRPC exporter: undecodable success response from {}: {}",
                              config_.endpoint, ps.error().message));
      return a;
    }
    if (ps->rejected > 0 || !ps->error_message.empty()) {
      res.rejected = ps->rejected;
      if (log_)
        log_->log(core::LogLevel::kWarning,
                  fmt::format("OTLP gRPC exporter: partial success from {}: {} {} rejected: {}",
                              config_.endpoint, ps->rejected, codec_.items,
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
  res.message = fmt::format("{}: gRPC {}{}{}", config_.endpoint, grpc_code_name(r.code),
                            message.empty() ? "" : ": ", clip(message));
  return a;
}

core::Task<ExportResult> OtlpGrpcTransport::send(const std::string& body,
                                                 Clock::time_point deadline) {
  ExportResult res;
  if (shut_down_ || cancelled_ || !channel_) {
    res.code = ExportResult::Code::kFailure;
    res.message = shut_down_   ? "exporter is shut down"
                  : cancelled_ ? "export cancelled at shutdown"
                               : open_error_;
    co_return res;
  }
  if (config_.timeout.count() > 0) deadline = std::min(deadline, Clock::now() + config_.timeout);
  // OTLP: a client MUST NOT send a request larger than 64 MiB before compression.
  if (body.size() > kMaxRequestBytes) {
    res.code = ExportResult::Code::kFailure;
    res.message =
        fmt::format("batch of {} bytes exceeds the 64 MiB OTLP request limit", body.size());
    co_return res;
  }
  GrpcCallOptions opts;
  opts.gzip = config_.compression == otel::OtlpCompression::kGzip;
  for (std::uint32_t attempt = 0;; ++attempt) {
    if (deadline - Clock::now() <= Clock::duration::zero()) {
      res.code = ExportResult::Code::kRetryableFailure;
      if (res.message.empty()) res.message = fmt::format("{}: export timed out", config_.endpoint);
      co_return res;
    }
    opts.deadline = deadline;
    Attempt a;
    try {
      a = on_result(co_await channel_->call(codec_.grpc_method, body, opts));
    } catch (const std::exception& e) {  // allocation failure; gRPC itself does not throw
      a.result.code = ExportResult::Code::kFailure;
      a.result.message = fmt::format("{}: {}", config_.endpoint, e.what());
    }
    ExportResult one = std::move(a.result);
    one.retries = res.retries;
    if (cancelled_ && !one.ok()) {
      one.code = ExportResult::Code::kFailure;
      one.message += " (cancelled at shutdown)";
      co_return one;
    }
    if (one.code != ExportResult::Code::kRetryableFailure || attempt >= retry_.max_retries ||
        final_) {
      co_return one;
    }
    // OTLP/gRPC Throttling: RetryInfo.retry_delay replaces the computed delay.
    const auto delay = a.retry_delay ? *a.retry_delay : backoff_delay(retry_, attempt, rng_);
    if (Clock::now() + delay >= deadline) {
      one.message += " (no time left to retry)";
      co_return one;
    }
    res.message = one.message;
    co_await loop_.sleep(sleeper_, delay);
    if (cancelled_) {
      one.code = ExportResult::Code::kFailure;
      one.message += " (cancelled at shutdown)";
      co_return one;
    }
    ++res.retries;
  }
}

}  // namespace loadgen::telemetry
