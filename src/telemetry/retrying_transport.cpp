#include "telemetry/retrying_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

#include "core/redact.hpp"

namespace loadgen::telemetry {

RetryingTransport::RetryingTransport(net::EventLoop& loop, const otel::OtlpExporterConfig& config,
                                     RetryPolicy retry, std::uint64_t seed)
    : loop_(loop), config_(config), retry_(retry), rng_(seed) {}

RetryingTransport::~RetryingTransport() {
  if (sleeper_.heap_index != net::Sleeper::kNotQueued) loop_.forget(sleeper_);
}

void RetryingTransport::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  on_shutdown();  // no export is in flight: the pipeline calls this after its last one
}

void RetryingTransport::final_flush() {
  final_ = true;
  loop_.wake(sleeper_);  // a retry waiting for its back-off goes now, once
}

void RetryingTransport::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  on_cancel();           // the request in flight ends now
  loop_.wake(sleeper_);  // a back-off sleep ends now
}

core::Task<ExportResult> RetryingTransport::send(const std::string& body,
                                                 Clock::time_point deadline) {
  ExportResult res;
  res.code = ExportResult::Code::kFailure;
  if (shut_down_ || cancelled_) {
    res.message = shut_down_ ? "exporter is shut down" : "export cancelled at shutdown";
    co_return res;
  }
  if (std::string why = unavailable(); !why.empty()) {
    res.message = std::move(why);
    co_return res;
  }
  if (config_.timeout.count() > 0) deadline = std::min(deadline, Clock::now() + config_.timeout);
  // OTLP: a client MUST NOT send a request larger than 64 MiB before compression.
  if (body.size() > kMaxRequestBytes) {
    res.message =
        fmt::format("batch of {} bytes exceeds the 64 MiB OTLP request limit", body.size());
    co_return res;
  }
  std::string error;
  const std::string_view bytes = payload(body, error);
  if (!error.empty()) {
    res.message = std::move(error);
    co_return res;
  }
  res.code = ExportResult::Code::kSuccess;
  for (std::uint32_t n = 0;; ++n) {
    if (deadline - Clock::now() <= Clock::duration::zero()) {
      res.code = ExportResult::Code::kRetryableFailure;
      if (res.message.empty())
        res.message = fmt::format("{}: export timed out", core::redact_userinfo(config_.endpoint));
      co_return res;
    }
    Attempt a;
    try {
      a = co_await attempt(bytes, deadline);
    } catch (const std::exception& e) {
      a.result.code = ExportResult::Code::kFailure;
      a.result.message = fmt::format("{}: {}", core::redact_userinfo(config_.endpoint),
                                     core::redact_url_in(e.what(), config_.endpoint));
    } catch (...) {  // core::Cancelled: cancel() stopped the request
      a.result.code = ExportResult::Code::kFailure;
      a.result.message =
          fmt::format("{}: export cancelled", core::redact_userinfo(config_.endpoint));
    }
    ExportResult one = std::move(a.result);
    one.retries = res.retries;
    if (cancelled_ && !one.ok()) {
      one.code = ExportResult::Code::kFailure;
      one.message += " (cancelled at shutdown)";
      co_return one;
    }
    if (one.code != ExportResult::Code::kRetryableFailure || n >= retry_.max_retries || final_) {
      co_return one;
    }
    const auto delay = a.retry_delay ? *a.retry_delay : backoff_delay(retry_, n, rng_);
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
