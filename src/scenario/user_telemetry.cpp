// What a user records besides requests (see user.hpp): its traces (one per task, the baggage
// on its requests), its log records and Events, and the spans an exception ended (settled once
// the handler knows what was thrown).
#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>

#include "core/clock.hpp"
#include "otel/attribute_limits.hpp"
#include "otel/baggage.hpp"
#include "otel/ids.hpp"
#include "scenario/user.hpp"

namespace loadgen::scenario {

void User::set_baggage(std::string_view key, std::string_view value) {
  if (!trace_settings_) return;
  otel::Baggage b = otel::Baggage::parse(trace_.baggage_header);
  b.set(key, value);
  trace_.baggage_header = b.header();
}

void User::begin_trace() {
  if (!trace_settings_) return;
  settle_unwound_spans(Unwind::kUnknown);  // spans whose exception the task caught itself
  trace_.trace_id = otel::random_trace_id(rng_);
  trace_.parent_span_id = {};  // the task's first span is the root
  const bool sampled = !trace_settings_->sdk_disabled &&
                       trace_settings_->sampler.should_sample(trace_.trace_id, nullptr);
  // Our trace ids are fully random: W3C Trace Context Level 2's random flag (0x02) holds.
  trace_.trace_flags = static_cast<std::uint8_t>((sampled ? 0x01 : 0x00) | 0x02);
  // A ratio sampler's threshold on what it kept, so backends can compute adjusted counts
  // (tracestate-probability-sampling: `th` is stored with each span and propagated). Short
  // enough for the small-string buffer: no allocation.
  if (sampled) {
    trace_.trace_state = sampled_trace_state_;
  } else {
    trace_.trace_state.clear();
  }
}

void User::emit_log(core::LogLevel level, std::string message) {
  if (!logs_) return;
  otel::LogRecord r;
  r.time_unix_nano = static_cast<std::uint64_t>(core::wall_ns());
  r.observed_time_unix_nano = r.time_unix_nano;
  switch (level) {  // logs data model: the Python level names, their severity numbers
    case core::LogLevel::kDebug:
      r.severity_number = otel::SeverityNumber::kDebug;
      r.severity_text = "DEBUG";
      break;
    case core::LogLevel::kInfo:
      r.severity_number = otel::SeverityNumber::kInfo;
      r.severity_text = "INFO";
      break;
    case core::LogLevel::kWarning:
      r.severity_number = otel::SeverityNumber::kWarn;
      r.severity_text = "WARNING";
      break;
    case core::LogLevel::kError:
      r.severity_number = otel::SeverityNumber::kError;
      r.severity_text = "ERROR";
      break;
  }
  r.body = otel::AttrValue{std::move(message)};
  set_trace_context(r);
  r.attributes.push_back({"session.id", {session_id_}});
  logs_->record(std::move(r));
}

void User::set_trace_context(otel::LogRecord& r) const {
  if (active_span_ != nullptr && trace_settings_ != nullptr) {
    // The active span: its id is the parent of whatever starts inside it.
    r.trace_id = trace_.trace_id;
    r.span_id = trace_.parent_span_id;
    r.flags = trace_.trace_flags & otel::kLogRecordTraceFlagsMask;
  }
}

void User::emit_event(std::string name, otel::Attributes attributes) {
  if (!logs_) return;
  otel::LogRecord r;
  r.time_unix_nano = static_cast<std::uint64_t>(core::wall_ns());
  r.observed_time_unix_nano = r.time_unix_nano;
  r.event_name = std::move(name);
  set_trace_context(r);
  r.attributes = std::move(attributes);
  r.attributes.push_back({"session.id", {session_id_}});
  logs_->record(std::move(r));
}

namespace {
// exception.type: the fully-qualified type name of what was thrown (semantic conventions).
std::string exception_type(const std::exception& e) {
  const char* mangled = typeid(e).name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}
}  // namespace

void User::settle_unwound_spans(Unwind how, const std::exception* e) {
  if (unwound_spans_.empty()) return;
  if (how == Unwind::kUnknown && killed_) how = Unwind::kCancelled;
  if (how == Unwind::kException && e == nullptr) how = Unwind::kUnknown;
  const otel::SpanLimits& l = trace_settings_->limits;
  for (otel::SpanData& s : unwound_spans_) {
    switch (how) {
      case Unwind::kControlFlow:
        break;
      case Unwind::kCancelled:
        // Stopped from outside (end of run, fewer users): not an error (trace/api.md: leave the
        // status unset unless the operation failed), but said so.
        otel::put_attribute(s.attributes, s.dropped_attributes_count, "loadgen.task.cancelled",
                            otel::AttrValue{true}, l.attribute_count_limit,
                            l.attribute_value_length_limit);
        break;
      case Unwind::kException: {
        // The `exception` span event (trace/exceptions.md; semantic conventions exception.*).
        if (s.events.size() >= l.event_count_limit) {
          ++s.dropped_events_count;
        } else {
          otel::SpanEvent ev;
          ev.time_unix_nano = s.end_time_unix_nano;
          ev.name = "exception";
          otel::put_attribute(ev.attributes, ev.dropped_attributes_count, "exception.type",
                              otel::AttrValue{exception_type(*e)}, l.event_attribute_count_limit,
                              l.attribute_value_length_limit);
          otel::put_attribute(ev.attributes, ev.dropped_attributes_count, "exception.message",
                              otel::AttrValue{std::string(e->what())},
                              l.event_attribute_count_limit, l.attribute_value_length_limit);
          s.events.push_back(std::move(ev));
        }
        if (s.status_code == otel::StatusCode::kUnset) {
          s.status_code = otel::StatusCode::kError;
          s.status_message = e->what();
        }
        break;
      }
      case Unwind::kUnknown:
        if (s.status_code == otel::StatusCode::kUnset) {
          s.status_code = otel::StatusCode::kError;
          s.status_message = "span ended by an exception";
        }
        break;
    }
    if (spans_) spans_->record(std::move(s));
  }
  unwound_spans_.clear();
}

}  // namespace loadgen::scenario
