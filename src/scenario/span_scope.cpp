#include "scenario/span_scope.hpp"

#include <exception>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "otel/attribute_limits.hpp"
#include "otel/ids.hpp"
#include "scenario/user.hpp"

namespace loadgen::scenario {

SpanScope::SpanScope(User& user, std::string_view name, bool new_trace)
    : user_(&user), exceptions_at_start_(std::uncaught_exceptions()), recording_(false) {
  if (!user.trace_settings_) return;
  client::RequestTrace& t = user.trace_;
  saved_parent_ = t.parent_span_id;
  if (new_trace && user.active_span_ != nullptr) {
    // A root in a trace of its own; the enclosing one resumes when this span ends.
    outer_trace_.emplace(OuterTrace{t.trace_id, t.trace_flags, t.trace_state});
    user.begin_trace();
  } else if (!otel::is_valid(t.trace_id)) {
    user.begin_trace();
  }
  recording_ = user.spans_ != nullptr && (t.trace_flags & 0x01) != 0;
  data_.trace_id = t.trace_id;
  data_.span_id = otel::random_span_id(user.rng_);
  data_.parent_span_id = t.parent_span_id;
  t.parent_span_id = data_.span_id;  // requests and spans inside are its children
  outer_ = user.active_span_;
  user.active_span_ = this;
  if (!recording_) return;
  data_.name.assign(name);
  data_.kind = otel::SpanKind::kInternal;
  data_.trace_state = t.trace_state;
  data_.flags = t.trace_flags | 0x100u;  // SpanFlags: has is_remote, parent is local
  data_.start_time_unix_nano = static_cast<std::uint64_t>(core::span_wall_ns());
}

SpanScope::~SpanScope() {
  if (!user_->trace_settings_) return;
  client::RequestTrace& t = user_->trace_;
  t.parent_span_id = saved_parent_;
  if (outer_trace_) {
    t.trace_id = outer_trace_->trace_id;
    t.trace_flags = outer_trace_->flags;
    t.trace_state = std::move(outer_trace_->trace_state);
  }
  user_->active_span_ = outer_;
  if (!recording_) return;
  data_.end_time_unix_nano = static_cast<std::uint64_t>(core::span_wall_ns());
  if (std::uncaught_exceptions() > exceptions_at_start_) {
    // Unwinding: only the handler knows what is in flight (a destructor cannot see it), so
    // run_user settles the span when it catches the exception (User::settle_unwound_spans).
    user_->unwound_spans_.push_back(std::move(data_));
    return;
  }
  user_->spans_->record(std::move(data_));
}

SpanScope& SpanScope::put(std::string_view key, otel::AttrValue value) {
  const otel::SpanLimits& l = user_->trace_settings_->limits;
  otel::put_attribute(data_.attributes, data_.dropped_attributes_count, key, std::move(value),
                      l.attribute_count_limit, l.attribute_value_length_limit);
  return *this;
}

SpanScope& SpanScope::set(std::string_view key, std::string_view value) {
  return recording_ ? put(key, {std::string(value)}) : *this;
}
SpanScope& SpanScope::set(std::string_view key, std::int64_t value) {
  return recording_ ? put(key, {value}) : *this;
}
SpanScope& SpanScope::set(std::string_view key, double value) {
  return recording_ ? put(key, {value}) : *this;
}
SpanScope& SpanScope::set(std::string_view key, bool value) {
  return recording_ ? put(key, {value}) : *this;
}

SpanScope& SpanScope::add_event(std::string_view name, otel::Attributes attributes) {
  if (!recording_) return *this;
  const otel::SpanLimits& l = user_->trace_settings_->limits;
  if (data_.events.size() >= l.event_count_limit) {
    ++data_.dropped_events_count;
    return *this;
  }
  otel::SpanEvent e;
  e.time_unix_nano = static_cast<std::uint64_t>(core::span_wall_ns());
  e.name.assign(name);
  for (otel::Attribute& a : attributes) {
    otel::put_attribute(e.attributes, e.dropped_attributes_count, a.key, std::move(a.value),
                        l.event_attribute_count_limit, l.attribute_value_length_limit);
  }
  data_.events.push_back(std::move(e));
  return *this;
}

void SpanScope::set_error(std::string_view description) {
  if (!recording_) return;
  data_.status_code = otel::StatusCode::kError;
  data_.status_message.assign(description);
}

}  // namespace loadgen::scenario
