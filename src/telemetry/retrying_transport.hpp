// RetryingTransport: the OTLP send rules both transports share (protocol/exporter.md "Retry",
// otlp.md "Throttling"): the export timeout, the 64 MiB request limit, attempts until success,
// a permanent failure, the retry budget or the deadline; exponential back-off with jitter, or
// the server's delay (Retry-After / RetryInfo) instead; one attempt only once final_flush()
// was called; cancel() ends a back-off at once. A transport implements one attempt.
// Thread: the EventLoop's (a pipeline's exporter thread).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/random.hpp"
#include "core/task.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "telemetry/otlp_transport.hpp"
#include "telemetry/retry_policy.hpp"

namespace loadgen::telemetry {

class RetryingTransport : public OtlpTransport {
 public:
  core::Task<ExportResult> send(const std::string& body, Clock::time_point deadline) final;
  void shutdown() final;
  void cancel() final;
  void final_flush() final;

 protected:
  struct Attempt {
    ExportResult result;
    std::optional<std::chrono::nanoseconds> retry_delay;  // the server's, replaces back-off
  };
  RetryingTransport(net::EventLoop& loop, const otel::OtlpExporterConfig& config, RetryPolicy retry,
                    std::uint64_t seed);
  ~RetryingTransport() override;

  // Why no export can be sent at all (e.g. the gRPC channel could not be set up), or "".
  virtual std::string unavailable() const { return {}; }
  // The bytes to send for `body` (e.g. gzip-compressed); sets `error` when it cannot.
  virtual std::string_view payload(const std::string& body, std::string& /*error*/) { return body; }
  // One request, to finish by `deadline` (there is time left when it is called).
  virtual core::Task<Attempt> attempt(std::string_view payload, Clock::time_point deadline) = 0;
  virtual void on_shutdown() {}
  virtual void on_cancel() {}  // stop what is in flight

  net::EventLoop& loop_;
  otel::OtlpExporterConfig config_;

 private:
  RetryPolicy retry_;
  core::Rng rng_;
  net::Sleeper sleeper_;
  bool shut_down_ = false;
  bool cancelled_ = false;
  bool final_ = false;  // final_flush(): no more retries
};

}  // namespace loadgen::telemetry
