#include "client/response.hpp"

#include <algorithm>
#include <utility>

#include "client/request_observer.hpp"
#include "client/response_pool.hpp"
#include "client/string_pool.hpp"
#include "core/clock.hpp"
#include "core/strings.hpp"

namespace loadgen::client {

namespace {
using core::iequals;
// Header lines in the raw head end in "\r\n" or "\n": drop the CR with the OWS.
std::string_view trim(std::string_view s) { return core::trim_ows(core::trim_space(s)); }
}  // namespace

// Member-wise: a fresh Response has nothing to report or give back (a request's Response is
// moved out of its coroutine on every request).
Response::Response(Response&& o) noexcept
    : method_(o.method_),
      status_(o.status_),
      outcome_(o.outcome_),
      start_wall_ns_(o.start_wall_ns_),
      duration_ns_(o.duration_ns_),
      bytes_(o.bytes_),
      sampled_trace_id_(o.sampled_trace_id_),
      pending_observer_(std::exchange(o.pending_observer_, nullptr)),
      b_(std::exchange(o.b_, nullptr)) {}

Response& Response::operator=(Response&& o) noexcept {
  if (this == &o) return *this;
  report();
  release();
  method_ = o.method_;
  status_ = o.status_;
  outcome_ = o.outcome_;
  start_wall_ns_ = o.start_wall_ns_;
  duration_ns_ = o.duration_ns_;
  bytes_ = o.bytes_;
  sampled_trace_id_ = o.sampled_trace_id_;
  pending_observer_ = std::exchange(o.pending_observer_, nullptr);
  b_ = std::exchange(o.b_, nullptr);
  return *this;
}

Response::~Response() {
  report();
  release();
}

Response::Buffers& Response::buffers() {
  if (!b_) b_ = ResponseBuffersPool::local().take();
  return *b_;
}

void Response::release() {
  if (b_) ResponseBuffersPool::local().give(std::exchange(b_, nullptr));
}

std::string_view Response::header(std::string_view name) const {
  if (!b_) return {};
  std::string_view rest = b_->head;
  // Skip the status line.
  auto eol = rest.find('\n');
  if (eol == std::string_view::npos) return {};
  rest.remove_prefix(eol + 1);
  while (!rest.empty()) {
    eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(line.substr(0, colon), name)) return trim(line.substr(colon + 1));
  }
  return {};
}

void Response::success() {
  if (!pending_observer_) return;
  outcome_ = Outcome::kOk;
  if (b_) b_->error.clear();
}

void Response::failure(std::string_view reason) {
  if (!pending_observer_) return;
  outcome_ = Outcome::kCheckFailed;
  Buffers& b = buffers();
  b.error.assign("check_failed: ");
  b.error.append(reason);
}

void Response::report() {
  RequestObserver* obs = std::exchange(pending_observer_, nullptr);
  if (!obs) return;
  const Buffers& b = buffers();
  obs->on_request(RequestRecord{method_, b.name, b.url, status_, outcome_, b.error, start_wall_ns_,
                                duration_ns_, bytes_, sampled_trace_id_});
}

}  // namespace loadgen::client
