#include "scenario/user.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "core/strings.hpp"
#include "core/uuid.hpp"
#include "otel/attribute_limits.hpp"
#include "otel/baggage.hpp"
#include "otel/ids.hpp"

namespace loadgen::scenario {

namespace {
// Every flag at its default: for runs without a flag provider.
class DefaultFlags final : public FlagSource {
 public:
  core::Task<std::int64_t> int_value(std::string_view key, std::int64_t d,
                                     const client::RequestTrace*) override {
    settle(key);
    co_return d;
  }
  core::Task<bool> bool_value(std::string_view key, bool d, const client::RequestTrace*) override {
    settle(key);
    co_return d;
  }
  bool would_fetch(std::string_view) const override { return false; }
  const FlagEvaluation& last_evaluation() const override { return last(); }
  std::string_view provider_name() const override { return "none"; }

 private:
  // Shared by every worker: the latest evaluation is per thread.
  static FlagEvaluation& last() {
    thread_local FlagEvaluation e = [] {
      FlagEvaluation d;
      d.reason = "DEFAULT";
      return d;
    }();
    return e;
  }
  static void settle(std::string_view key) { last().key.assign(key); }
};
DefaultFlags& default_flags() {
  static DefaultFlags flags;
  return flags;
}
}  // namespace

// ---- feature flags, traced ----

// While a flag evaluation that will call flagd runs outside any span: a span of its own
// (`feature_flag.evaluation`) in a new trace, so the flagd request is its child; the task's
// trace context is restored afterwards.
class User::FlagTrace {
 public:
  FlagTrace(User& u, std::string_view key) : user_(u) {
    if (!u.trace_settings_ || u.active_span_ || !u.flags_->would_fetch(key)) return;
    saved_ = Saved{u.trace_.trace_id, u.trace_.parent_span_id, u.trace_.trace_flags,
                   u.trace_.trace_state};
    u.begin_trace();
    span_.emplace(u, "feature_flag.evaluation");
    span_->set("feature_flag.key", key);
  }
  ~FlagTrace() {
    if (!saved_) return;
    span_.reset();
    user_.trace_.trace_id = saved_->trace_id;
    user_.trace_.parent_span_id = saved_->parent;
    user_.trace_.trace_flags = saved_->flags;
    user_.trace_.trace_state = std::move(saved_->trace_state);
  }
  FlagTrace(const FlagTrace&) = delete;
  FlagTrace& operator=(const FlagTrace&) = delete;

 private:
  struct Saved {
    otel::TraceId trace_id;
    otel::SpanId parent;
    std::uint8_t flags;
    std::string trace_state;
  };
  User& user_;
  std::optional<Saved> saved_;
  std::optional<SpanScope> span_;
};

core::Task<std::int64_t> UserFlags::int_value(std::string_view key, std::int64_t default_value) {
  return user_->evaluate_int(key, default_value);
}

core::Task<bool> UserFlags::bool_value(std::string_view key, bool default_value) {
  return user_->evaluate_bool(key, default_value);
}

core::Task<std::int64_t> User::evaluate_int(std::string_view key, std::int64_t default_value) {
  FlagTrace scope(*this, key);
  const std::int64_t v =
      co_await flags_->int_value(key, default_value, trace_settings_ ? &trace_ : nullptr);
  record_flag_evaluation({v});
  co_return v;
}

core::Task<bool> User::evaluate_bool(std::string_view key, bool default_value) {
  FlagTrace scope(*this, key);
  const bool v =
      co_await flags_->bool_value(key, default_value, trace_settings_ ? &trace_ : nullptr);
  record_flag_evaluation({v});
  co_return v;
}

// The feature_flag.evaluation event (semantic conventions, feature_flag.* registry): reasons
// and error types are the OpenFeature codes in lower case.
void User::record_flag_evaluation(otel::AttrValue value) {
  const bool on_span = active_span_ != nullptr && active_span_->recording();
  const bool as_event = logs_ != nullptr && log_settings_ != nullptr && log_settings_->flag_events;
  if (!on_span && !as_event) return;
  const FlagEvaluation& ev = flags_->last_evaluation();
  otel::Attributes a;
  a.reserve(8);
  a.push_back({"feature_flag.key", {ev.key}});
  a.push_back({"feature_flag.provider.name", {std::string(flags_->provider_name())}});
  a.push_back({"feature_flag.result.value", std::move(value)});
  if (!ev.variant.empty()) a.push_back({"feature_flag.result.variant", {ev.variant}});
  if (!ev.reason.empty())
    a.push_back({"feature_flag.result.reason", {core::ascii_lowercase(ev.reason)}});
  if (const auto ctx = flags_->context_id(); !ctx.empty())
    a.push_back({"feature_flag.context.id", {std::string(ctx)}});
  if (!ev.error_code.empty()) {
    a.push_back({"error.type", {core::ascii_lowercase(ev.error_code)}});
    if (!ev.error_message.empty()) a.push_back({"feature_flag.error.message", {ev.error_message}});
  }
  // The current conventions define the evaluation as an Event (a log record), the earlier ones
  // as a span event: both, so trace views and log pipelines each see it.
  if (on_span && as_event) {
    active_span_->add_event("feature_flag.evaluation", a);
  } else if (on_span) {
    active_span_->add_event("feature_flag.evaluation", std::move(a));
  }
  if (as_event) emit_event("feature_flag.evaluation", std::move(a));
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

User::~User() {
  // A user abandoned while asleep (process shutdown) must leave the loop's timer heap.
  if (loop_) loop_->forget(sleeper_);
}

void User::attach(const Runtime& rt) {
  loop_ = rt.loop;
  events_ = rt.events;
  flags_ = rt.flags ? rt.flags : &default_flags();
  class_ = rt.cls;
  id_ = rt.id;
  start_delay_ns_ = rt.start_delay_ns;
  log_settings_ = rt.log_settings;
  logs_ = rt.logs;
  rng_.reseed(rt.seed);
  client_.emplace(*rt.loop, *rt.client_config, rt.observer);
  session_id_ = core::uuid4(rng_);
  trace_settings_ = rt.trace;
  spans_ = rt.spans;
  if (trace_settings_) {
    trace_.propagation = &trace_settings_->propagation;
    trace_.rng = &rng_;
    // W3C Baggage: every request is marked synthetic and carries the user's session.
    otel::Baggage b;
    b.set("synthetic_request", "true");
    b.set("session.id", session_id_);
    trace_.baggage_header = b.header();
    // Built by appending: its capacity is up to twice its length, kept by every idle user.
    trace_.baggage_header.shrink_to_fit();
    client_->set_trace(&trace_);
    sampled_trace_state_ = otel::sampled_trace_state(trace_settings_->sampler);
  }
  last_wait_end_ns_ = core::mono_ns();
}

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

void User::request_stop() {
  stopping_ = true;
  loop_->wake(sleeper_);
}

void User::kill() {
  if (killed_) return;
  killed_ = true;
  stopping_ = true;
  if (client_) client_->cancel();
  loop_->wake(sleeper_);
}

core::Task<> User::sleep(std::chrono::nanoseconds d) {
  if (killed_) throw core::Cancelled{};
  if (d.count() > 0 && !stopping_) {
    client_->park_for(d);
    co_await loop_->sleep(sleeper_, d);
  }
  if (killed_) throw core::Cancelled{};
}

core::Task<> User::park() {
  if (killed_) throw core::Cancelled{};
  if (!stopping_) {
    // Idle until the next arrival, an unknown wait: the connections go back to the pool once
    // it has lasted --park-after, so a busy open model keeps its users' connections.
    const std::chrono::nanoseconds after = client_->park_after();
    bool woken = false;
    if (after.count() > 0) woken = co_await loop_->sleep(sleeper_, after);
    if (!woken && !killed_ && !stopping_) {
      client_->park();
      co_await loop_->sleep(sleeper_, std::chrono::hours(24));
    }
  }
  if (killed_) throw core::Cancelled{};
}

namespace {

const TaskDef& pick_weighted(const std::vector<TaskDef>& tasks, std::uint64_t total,
                             core::Rng& rng) {
  assert(!tasks.empty());
  if (total == 0) return tasks.front();
  std::uint64_t r = rng.below(total);
  for (const auto& t : tasks) {
    if (r < t.weight) return t;
    r -= t.weight;
  }
  return tasks.back();
}

// In 64 bits: a file may give many tasks large weights.
std::uint64_t sum_weights(const std::vector<TaskDef>& tasks) {
  std::uint64_t total = 0;
  for (const auto& t : tasks) total += t.weight;
  return total;
}

// Sequential order: task i runs weight(i) times in a row (Locust's SequentialTaskSet repeats a
// task of weight n n times). `pos` counts runs; returns the task for run `pos`.
const TaskDef& pick_sequential(const std::vector<TaskDef>& tasks, std::uint64_t total,
                               std::uint64_t pos) {
  assert(!tasks.empty());
  if (total == 0) return tasks[pos % tasks.size()];
  std::uint64_t r = pos % total;
  for (const auto& t : tasks) {
    if (r < t.weight) return t;
    r -= t.weight;
  }
  return tasks.back();
}

}  // namespace

std::uint64_t UserClass::total_task_weight() const { return sum_weights(tasks); }

const TaskDef& UserClass::pick(core::Rng& rng) const {
  return pick_weighted(tasks, total_task_weight(), rng);
}

std::uint64_t TaskSet::total_task_weight() const { return sum_weights(tasks); }

const TaskDef& TaskSet::pick(core::Rng& rng) const {
  return pick_weighted(tasks, total_task_weight(), rng);
}

// A task that never suspends (it fails before any I/O, or returns at once) with no wait after
// it would keep the worker's thread forever: commands, timers and other users would never run
// (Locust's greenlets have the same problem with wait 0; gevent yields on I/O only). After 64
// tasks in a row without a wait, the user yields to the loop once (inline in the loops below:
// no coroutine frame per task): a negligible cost for a user whose tasks wait on the network.
constexpr unsigned kYieldAfterTasksWithoutWait = 64;

// Not a coroutine: the task's own frame is the only one allocated per task (the hot path).
core::Task<> run_task(User& u, const TaskDef& t) {
  return t.set ? run_task_set(u, *t.set) : t.fn(u);
}

core::Task<> run_task_set(User& u, const TaskSet& set) {
  using Unwind = User::Unwind;
  const UserClass& cls = *u.class_;
  const WaitTime& wait_time = set.wait_time ? *set.wait_time : cls.wait_time;
  const std::uint64_t total = set.total_task_weight();
  bool reschedule_parent = false;
  // StopUser or core::Cancelled leaving the set: on_stop runs first, then it goes on up (Locust's
  // TaskSet.run runs on_stop on StopUser and GreenletExit before re-raising).
  std::exception_ptr leaving;
  try {
    if (set.on_start) co_await set.on_start(u);
    std::uint64_t pos = 0;
    unsigned no_wait_streak = 0;
    while (!u.stopping_ && !set.tasks.empty()) {
      const TaskDef& t = set.sequential ? pick_sequential(set.tasks, total, pos++)
                                        : pick_weighted(set.tasks, total, u.rng_);
      bool reschedule = false;
      u.begin_trace();  // every task starts a new trace, inside a set too
      try {
        co_await run_task(u, t);
      } catch (const RescheduleTask&) {
        u.settle_unwound_spans(Unwind::kControlFlow);
        reschedule = true;
      } catch (const InterruptTaskSet&) {
        throw;
      } catch (const StopUser&) {
        throw;
      } catch (const core::Cancelled&) {
        throw;
      } catch (const std::exception& e) {
        u.settle_unwound_spans(Unwind::kException, &e);
        u.events_->on_task_exception(cls, t.name, e.what());
      }
      if (u.stopping_) break;
      std::chrono::nanoseconds wait{0};
      if (!reschedule) {
        const auto now = core::mono_ns();
        wait = wait_time.next(u.rng_, std::chrono::nanoseconds(now - u.last_wait_end_ns_));
        if (wait.count() > 0 && !u.stopping_) {
          u.client_->park_for(wait);
          co_await u.loop_->sleep(u.sleeper_, wait);
        }
        if (u.killed_) throw core::Cancelled{};
        u.last_wait_end_ns_ = core::mono_ns();
      }
      if (wait.count() > 0) {
        no_wait_streak = 0;
      } else if (++no_wait_streak == kYieldAfterTasksWithoutWait) {
        no_wait_streak = 0;
        co_await u.loop_->yield();
        if (u.killed_) throw core::Cancelled{};
      }
    }
  } catch (const InterruptTaskSet& e) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    reschedule_parent = e.reschedule;
  } catch (const StopUser&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    leaving = std::current_exception();
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
    leaving = std::current_exception();
  }
  if (set.on_stop) {
    try {
      co_await set.on_stop(u);
    } catch (const core::Cancelled&) {
      u.settle_unwound_spans(Unwind::kCancelled);
      if (!leaving) leaving = std::current_exception();
    } catch (const StopUser&) {
      u.settle_unwound_spans(Unwind::kControlFlow);
      if (!leaving) leaving = std::current_exception();
    } catch (const std::exception& e) {
      // Reported under the set's name; the set is left as it was going to be.
      u.settle_unwound_spans(Unwind::kException, &e);
      u.events_->on_task_exception(cls, set.name.empty() ? "on_stop" : set.name + ".on_stop",
                                   e.what());
    }
  }
  if (leaving) std::rethrow_exception(leaving);
  if (reschedule_parent) throw RescheduleTask{};
}

core::Task<> run_user(User& u) {
  const UserClass& cls = *u.class_;
  if (u.start_delay_ns_ > 0) {
    co_await u.loop_->sleep(u.sleeper_, std::chrono::nanoseconds(u.start_delay_ns_));
    if (u.stopping_) co_return;  // stopped before it started: no on_start, no on_stop
    u.last_wait_end_ns_ = core::mono_ns();
  }
  bool cancelled = false;
  using Unwind = User::Unwind;
  try {
    co_await run_on_start(u);
    const std::uint64_t total = cls.total_task_weight();
    const bool track_waits =
        cls.wait_time.paced() || std::any_of(cls.tasks.begin(), cls.tasks.end(),
                                             [](const TaskDef& d) { return d.set != nullptr; });
    std::uint64_t pos = 0;
    unsigned no_wait_streak = 0;
    while (!u.stopping_) {
      const TaskDef& t = cls.sequential ? pick_sequential(cls.tasks, total, pos++)
                                        : pick_weighted(cls.tasks, total, u.rng_);
      bool reschedule = false;
      u.begin_trace();  // each top-level task starts a new trace
      try {
        co_await run_task(u, t);
      } catch (const StopUser&) {
        u.settle_unwound_spans(Unwind::kControlFlow);
        break;
      } catch (const RescheduleTask&) {
        u.settle_unwound_spans(Unwind::kControlFlow);
        reschedule = true;
      } catch (const core::Cancelled&) {
        u.settle_unwound_spans(Unwind::kCancelled);
        throw;
      } catch (const std::exception& e) {
        u.settle_unwound_spans(Unwind::kException, &e);
        u.events_->on_task_exception(cls, t.name, e.what());
      }
      if (u.stopping_) break;
      std::chrono::nanoseconds wait{0};
      if (!reschedule) {
        // The clock only when a pacing wait uses the time since the last wait (this loop's
        // or a task set's first): no clock read per task otherwise.
        const auto now = track_waits ? core::mono_ns() : 0;
        wait = cls.wait_time.next(u.rng_, std::chrono::nanoseconds(now - u.last_wait_end_ns_));
        // Awaited directly (not through User::sleep) so a waiting user holds no extra frame.
        if (wait.count() > 0 && !u.stopping_) {
          u.client_->park_for(wait);  // a long wait: its connection serves other users
          co_await u.loop_->sleep(u.sleeper_, wait);
        }
        if (u.killed_) throw core::Cancelled{};
        if (track_waits) u.last_wait_end_ns_ = wait.count() > 0 ? core::mono_ns() : now;
      }
      if (wait.count() > 0) {
        no_wait_streak = 0;
      } else if (++no_wait_streak == kYieldAfterTasksWithoutWait) {
        no_wait_streak = 0;
        co_await u.loop_->yield();
        if (u.killed_) throw core::Cancelled{};
      }
    }
  } catch (const core::Cancelled&) {
    cancelled = true;
  }
  // Locust runs on_stop also when the user is killed (GreenletExit); a killed user's client
  // refuses new requests, so on_stop can only do local work then.
  co_await run_on_stop(u, cancelled);
}

core::Task<> run_on_start(User& u) {
  using Unwind = User::Unwind;
  try {
    u.begin_trace();
    co_await u.on_start();
  } catch (const StopUser&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    u.stopping_ = true;
  } catch (const RescheduleTask&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
    throw;
  } catch (const std::exception& e) {
    u.settle_unwound_spans(Unwind::kException, &e);
    u.events_->on_task_exception(*u.class_, "on_start", e.what());
  }
}

core::Task<Iteration> run_iteration(User& u, std::uint64_t& pos) {
  using Unwind = User::Unwind;
  const UserClass& cls = *u.class_;
  const std::uint64_t total = cls.total_task_weight();
  const TaskDef& t = cls.sequential ? pick_sequential(cls.tasks, total, pos++)
                                    : pick_weighted(cls.tasks, total, u.rng_);
  Iteration out{&t, false};
  u.begin_trace();  // each iteration starts a new trace, as a top-level task does
  try {
    co_await run_task(u, t);
  } catch (const StopUser&) {
    u.settle_unwound_spans(Unwind::kControlFlow);
    out.stop_user = true;
  } catch (const RescheduleTask&) {
    u.settle_unwound_spans(Unwind::kControlFlow);  // no wait to skip in the open model
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
    throw;
  } catch (const std::exception& e) {
    u.settle_unwound_spans(Unwind::kException, &e);
    u.events_->on_task_exception(cls, t.name, e.what());
  }
  co_return out;
}

core::Task<> run_on_stop(User& u, bool cancelled) {
  using Unwind = User::Unwind;
  try {
    co_await u.on_stop();
  } catch (const core::Cancelled&) {
    u.settle_unwound_spans(Unwind::kCancelled);
  } catch (const std::exception& e) {
    u.settle_unwound_spans(cancelled ? Unwind::kCancelled : Unwind::kException, &e);
    if (!cancelled) u.events_->on_task_exception(*u.class_, "on_stop", e.what());
  }
  u.settle_unwound_spans(Unwind::kUnknown);
}

}  // namespace loadgen::scenario
