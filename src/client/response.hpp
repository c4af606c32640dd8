// Response: what a simulated user gets back from HttpClient. Move-only; its buffers, one block of
// strings that keep their capacity, come from a per-thread pool and go back to it on destruction
// (a move hands over one pointer). With catch_response (Locust's
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
class ResponseBuffersPool;

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
  std::string_view text() const { return b_ ? b_->body : std::string_view(); }  // decoded body
  std::string_view url() const { return b_ ? b_->url : std::string_view(); }    // after redirects
  // "<kind>: <detail>", empty if ok
  std::string_view error() const { return b_ ? b_->error : std::string_view(); }
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
  friend class ResponseBuffersPool;
  // A request's text: taken from the thread's pool whole, cleared, and given back whole.
  struct Buffers {
    std::string name;  // kept only for catch_response
    std::string url;
    std::string error;
    std::string head;  // raw response head (status line + fields)
    std::string body;
    std::string request;  // the serialized request (HttpClient's write buffer)
  };
  // For HttpClient: this Response's buffers, taken from the pool on first use.
  Buffers& buffers();
  void report();
  void release();

  http::Method method_ = http::Method::kGet;
  int status_ = 0;
  Outcome outcome_ = Outcome::kCancelled;
  std::int64_t start_wall_ns_ = 0;
  std::int64_t duration_ns_ = 0;
  std::uint64_t bytes_ = 0;
  otel::TraceId sampled_trace_id_{};             // RequestRecord::sampled_trace_id
  RequestObserver* pending_observer_ = nullptr;  // set while a catch_response verdict is pending
  Buffers* b_ = nullptr;                         // owned; null until taken, and once moved from
};

}  // namespace loadgen::client
