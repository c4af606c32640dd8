// SpanScope: the scenario API's way to trace a block of work, e.g.
//   auto span = start_span("user_browse_product");
//   span.set("product.id", product);
//   co_await client().get(...);          // requests inside become child CLIENT spans
// The span starts when created and ends when the scope ends. Spans nest; the first one of a task
// is the root of the task's trace; a span opened with `new_trace` is the root of a trace of its
// own (the demo's `start_as_current_span(..., context=Context())`), and the enclosing trace
// resumes when it ends. Ended by an exception (trace/exceptions.md, semantic conventions
// "exception" event): the span is settled by run_user, which knows the exception: a task error
// gets status ERROR and an `exception` event (exception.type, exception.message); a user killed
// at the end of a run (core::Cancelled) leaves the status unset and sets
// `loadgen.task.cancelled=true`; Locust's control flow (StopUser, RescheduleTask) is not an
// error either. The span limits of the OTEL_* environment apply (attributes set again replace,
// extra ones and extra events are dropped and counted, long strings truncated). Worker thread
// only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "otel/span_data.hpp"

namespace loadgen::scenario {

class User;

class SpanScope {
 public:
  SpanScope(User& user, std::string_view name, bool new_trace = false);
  ~SpanScope();
  SpanScope(const SpanScope&) = delete;
  SpanScope& operator=(const SpanScope&) = delete;

  SpanScope& set(std::string_view key, std::string_view value);
  SpanScope& set(std::string_view key, const char* value) {
    return set(key, std::string_view(value));
  }
  SpanScope& set(std::string_view key, std::int64_t value);
  SpanScope& set(std::string_view key, int value) { return set(key, std::int64_t{value}); }
  SpanScope& set(std::string_view key, double value);
  SpanScope& set(std::string_view key, bool value);
  // Adds an event (time: now). Beyond the event limit it is dropped and counted.
  SpanScope& add_event(std::string_view name, otel::Attributes attributes = {});
  // Marks the span failed (status ERROR with this description).
  void set_error(std::string_view description);
  bool recording() const { return recording_; }

 private:
  SpanScope& put(std::string_view key, otel::AttrValue value);

  User* user_;
  SpanScope* outer_ = nullptr;  // the span that was active before this one
  otel::SpanData data_;
  otel::SpanId saved_parent_{};
  // new_trace: the enclosing trace, restored when this span ends.
  struct OuterTrace {
    otel::TraceId trace_id;
    std::uint8_t flags;
    std::string trace_state;
  };
  std::optional<OuterTrace> outer_trace_;
  int exceptions_at_start_;
  bool recording_;
};

}  // namespace loadgen::scenario
