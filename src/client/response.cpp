#include "client/response.hpp"

#include <algorithm>
#include <utility>

#include "client/request_observer.hpp"
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
      name_(std::move(o.name_)),
      url_(std::move(o.url_)),
      error_(std::move(o.error_)),
      head_(std::move(o.head_)),
      body_(std::move(o.body_)) {}

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
  name_ = std::move(o.name_);
  url_ = std::move(o.url_);
  error_ = std::move(o.error_);
  head_ = std::move(o.head_);
  body_ = std::move(o.body_);
  return *this;
}

Response::~Response() {
  report();
  release();
}

void Response::release() {
  auto& pool = StringPool::local();
  pool.give(std::move(url_));
  pool.give(std::move(error_));
  pool.give(std::move(head_));
  pool.give(std::move(body_));
  if (!name_.empty()) std::string().swap(name_);
}

namespace {
void pooled(std::string& s) {
  if (s.capacity() <= std::string().capacity()) s = StringPool::local().take();
  s.clear();
}
}  // namespace

void Response::pooled_error() { pooled(error_); }
void Response::pooled_body() { pooled(body_); }

std::string_view Response::header(std::string_view name) const {
  std::string_view rest = head_;
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
  error_.clear();
}

void Response::failure(std::string_view reason) {
  if (!pending_observer_) return;
  outcome_ = Outcome::kCheckFailed;
  error_.assign("check_failed: ");
  error_.append(reason);
}

void Response::report() {
  RequestObserver* obs = std::exchange(pending_observer_, nullptr);
  if (!obs) return;
  obs->on_request(RequestRecord{method_, name_, url_, status_, outcome_, error_, start_wall_ns_,
                                duration_ns_, bytes_, sampled_trace_id_});
}

}  // namespace loadgen::client
