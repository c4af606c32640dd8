// Response: what a simulated user gets back from HttpClient. Move-only; its buffers come from a
// per-thread pool and go back to it on destruction. With catch_response (Locust's
// `with client.get(..., catch_response=True) as r:`), the request is recorded when the Response
// is destroyed, with the verdict given by success()/failure() or else by the status.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/outcome.hpp"
#include "http/method.hpp"
#include "otel/common.hpp"

namespace loadgen::client {

class RequestObserver;
class HttpClient;

class Response {
 public:
  Response() = default;
  Response(Response&& o) noexcept;
  Response& operator=(Response&& o) noexcept;
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;
  ~Response();

  int status_code() const { return status_; }  // 0 when no response arrived
  Outcome outcome() const { return outcome_; }
  bool ok() const { return outcome_ == Outcome::kOk; }
  std::string_view text() const { return body_; }    // decoded body
  std::string_view url() const { return url_; }      // final URL after redirects
  std::string_view error() const { return error_; }  // "<kind>: <detail>", empty if ok
  std::chrono::nanoseconds elapsed() const { return std::chrono::nanoseconds(duration_ns_); }
  // First value of a response header (case-insensitive name); empty when absent.
  std::string_view header(std::string_view name) const;

  // catch_response verdicts; the last call wins.
  void success();
  void failure(std::string_view reason);
  // catch_response: records the request now, with the verdict given so far (else the status's);
  // later verdicts are ignored. Nothing when there is no verdict pending.
  void record_now() { report(); }

 private:
  friend class HttpClient;
  void report();
  void release();
  // A pooled buffer for the error text or the kept body, once one is written (cleared).
  void pooled_error();
  void pooled_body();

  http::Method method_ = http::Method::kGet;
  int status_ = 0;
  Outcome outcome_ = Outcome::kCancelled;
  std::int64_t start_wall_ns_ = 0;
  std::int64_t duration_ns_ = 0;
  std::uint64_t bytes_ = 0;
  otel::TraceId sampled_trace_id_{};             // RequestRecord::sampled_trace_id
  RequestObserver* pending_observer_ = nullptr;  // set while a catch_response verdict is pending
  std::string name_;                             // kept only for catch_response
  std::string url_;
  std::string error_;
  std::string head_;  // raw response head (status line + fields)
  std::string body_;
};

}  // namespace loadgen::client
