// The user model scenarios are written in (Locust's User/HttpUser): a User subclass with
// coroutine tasks, registered with weights in a UserClass; on_start/on_stop hooks; a wait time
// between tasks; an HTTP client with cookies per user. The engine owns users and runs them
// (run_user) on a worker's event loop; everything here happens on that one thread.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/http_client.hpp"
#include "client/propagation.hpp"
#include "core/log_sink.hpp"
#include "core/random.hpp"
#include "core/task.hpp"
#include "net/event_loop.hpp"
#include "otel/env_config.hpp"
#include "otel/log_source.hpp"
#include "otel/sampler.hpp"
#include "otel/span_sink.hpp"
#include "scenario/flag_source.hpp"
#include "scenario/span_scope.hpp"
#include "scenario/wait_time.hpp"

namespace loadgen::scenario {

class User;
struct UserClass;
struct TaskSet;
struct Iteration;

// How users' traffic is traced (from the OTEL_* environment): which headers go on the wire and
// which traces are sampled. Shared and read-only during a run.
struct TraceSettings {
  client::Propagation propagation;
  otel::Sampler sampler{otel::SamplerKind::kParentBasedAlwaysOn, 1.0};
  bool sdk_disabled = false;  // OTEL_SDK_DISABLED: nothing sampled; propagators still apply
  otel::SpanLimits limits;    // OTEL_SPAN_*_LIMIT, OTEL_ATTRIBUTE_*_LIMIT, applied by SpanScope
  // Trace shape of task spans (User::start_task_span). false (default, LOADGEN_TRACE_NESTING=
  // fresh): every task span is the root of a trace of its own, as the demo's load generator
  // starts each one in an empty context; true (LOADGEN_TRACE_NESTING=nested): a task span
  // opened inside another span (user_index in user_session_start, user_add_to_cart in
  // user_checkout_single) is its child.
  bool nested_task_spans = false;
};

// Users' log lines (User::log_info & co.): the level threshold (--loglevel) and where records
// go. Shared and read-only during a run.
struct LogSettings {
  core::LogLevel min_level = core::LogLevel::kInfo;
  // Also emit each flag evaluation as a `feature_flag.evaluation` event (a log record with
  // that event_name; feature-flag semantic conventions). Set when logs are exported.
  bool flag_events = false;
};

// Feature flags as a task sees them: `co_await flags().int_value("key", 0)`. Each evaluation
// is traced: it is recorded as a `feature_flag.evaluation` event on the active span (OTel
// semantic conventions, feature_flag.*); a request it makes to flagd is a CLIENT span of the
// task's trace; an evaluation that calls flagd outside any span gets a span of its own
// (`feature_flag.evaluation`, in a trace of its own) so that request is never an orphan.
class UserFlags {
 public:
  explicit UserFlags(User& user) : user_(&user) {}
  core::Task<std::int64_t> int_value(std::string_view key, std::int64_t default_value);
  core::Task<bool> bool_value(std::string_view key, bool default_value);

 private:
  User* user_;
};

// Thrown by a task to stop this user for good (Locust's StopUser).
struct StopUser : std::exception {
  const char* what() const noexcept override { return "StopUser"; }
};
// Thrown by a task to skip the wait and run the next task now (Locust's
// RescheduleTaskImmediately; Locust's RescheduleTask waits first, as a plain return does).
struct RescheduleTask : std::exception {
  const char* what() const noexcept override { return "RescheduleTask"; }
};
// Thrown by a task inside a task set to leave the set (Locust's TaskSet.interrupt()): control
// returns to the parent (the user, or the enclosing set), which waits first unless `reschedule`.
struct InterruptTaskSet : std::exception {
  explicit InterruptTaskSet(bool reschedule_next = true) : reschedule(reschedule_next) {}
  bool reschedule = true;
  const char* what() const noexcept override { return "InterruptTaskSet"; }
};

// Receives what a running user reports besides requests. Called on the worker thread.
class UserEvents {
 public:
  // A task threw (other than StopUser/RescheduleTask): Locust's user_error / exceptions table.
  virtual void on_task_exception(const UserClass& cls, std::string_view task,
                                 std::string_view what) = 0;

 protected:
  ~UserEvents() = default;
};

class User {
 public:
  User() = default;
  virtual ~User();
  User(const User&) = delete;
  User& operator=(const User&) = delete;

  virtual core::Task<> on_start() { co_return; }
  virtual core::Task<> on_stop() { co_return; }

  client::HttpClient& client() { return *client_; }
  // Feature flags (flagd over OFREP when configured; otherwise every flag has its default),
  // traced (see UserFlags).
  UserFlags flags() { return UserFlags(*this); }
  core::Rng& rng() { return rng_; }
  std::uint64_t id() const { return id_; }
  const UserClass& user_class() const { return *class_; }
  // True once the engine asked this user to stop after its current task.
  bool stopping() const { return stopping_; }

  // The user's session id (a UUID v4), carried as baggage `session.id` on every request,
  // like the demo's load generator does.
  const std::string& session_id() const { return session_id_; }
  // Adds or replaces a W3C baggage entry carried on this user's requests (next to
  // synthetic_request=true and session.id).
  void set_baggage(std::string_view key, std::string_view value);
  // Starts a new trace for the next task (a new trace id and task span id; sampled per the
  // sampler). run_user calls it before on_start and before every task.
  void begin_trace();
  // Opens a span around a block of work (see span_scope.hpp).
  SpanScope start_span(std::string_view name) { return SpanScope(*this, name); }
  // Opens the span of a task (user_index, ...): the root of a trace of its own, or nested
  // when the trace settings ask for it (TraceSettings::nested_task_spans).
  SpanScope start_task_span(std::string_view name) {
    return SpanScope(*this, name,
                     trace_settings_ != nullptr && !trace_settings_->nested_task_spans);
  }

  // Log lines of the scenario, e.g. log_info("User browsing product: {}", id): OTel log
  // records with the trace and span id of the active span and the user's session.id, shown
  // on the console (Locust's log format plus the ids) and exported with OTEL_LOGS_EXPORTER.
  // Recorded into the worker's buffer: never blocks, never does I/O on the worker.
  template <class... A>
  void log_info(fmt::format_string<A...> f, A&&... a) {
    if (log_enabled(core::LogLevel::kInfo))
      emit_log(core::LogLevel::kInfo, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A>
  void log_warning(fmt::format_string<A...> f, A&&... a) {
    if (log_enabled(core::LogLevel::kWarning))
      emit_log(core::LogLevel::kWarning, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A>
  void log_error(fmt::format_string<A...> f, A&&... a) {
    if (log_enabled(core::LogLevel::kError))
      emit_log(core::LogLevel::kError, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A>
  void log_debug(fmt::format_string<A...> f, A&&... a) {
    if (log_enabled(core::LogLevel::kDebug))
      emit_log(core::LogLevel::kDebug, fmt::format(f, std::forward<A>(a)...));
  }
  bool log_enabled(core::LogLevel level) const {
    return logs_ != nullptr && log_settings_ != nullptr && level >= log_settings_->min_level;
  }
  void emit_log(core::LogLevel level, std::string message);
  // An Event: a log record with event_name and attributes, no body, no severity.
  void emit_event(std::string name, otel::Attributes attributes);
  // The trace context of the active span, on a record.
  void set_trace_context(otel::LogRecord& r) const;

  // Sleeps for d; returns early when the user is asked to stop; throws core::Cancelled
  // when the user is killed.
  core::Task<> sleep(std::chrono::nanoseconds d);

  // The open model's idle user (engine's arrival-rate executor): waits until unpark(), a stop
  // request, or a long timeout (the caller checks why); throws core::Cancelled when killed.
  core::Task<> park();
  void unpark() { loop_->wake(sleeper_); }

  // ---- engine side ----
  struct Runtime {
    net::EventLoop* loop;
    const client::ClientConfig* client_config;
    client::RequestObserver* observer;
    UserEvents* events;
    FlagSource* flags;  // may be null: defaults only
    const UserClass* cls;
    std::uint64_t id;
    std::uint64_t seed;
    std::int64_t start_delay_ns = 0;       // wait this long before on_start
    const TraceSettings* trace = nullptr;  // null: no trace headers
    otel::SpanSink* spans = nullptr;       // null: spans are not recorded
    const LogSettings* log_settings = nullptr;
    otel::LogRecordSink* logs = nullptr;  // null: log lines are dropped
  };
  void attach(const Runtime& rt);
  // Graceful: finish the current task, skip the wait, run on_stop.
  void request_stop();
  // Immediate: in-flight requests and sleeps throw core::Cancelled.
  void kill();
  bool killed() const { return killed_; }

 private:
  friend core::Task<> run_user(User& u);
  friend core::Task<> run_on_start(User& u);
  friend core::Task<Iteration> run_iteration(User& u, std::uint64_t& pos);
  friend core::Task<> run_on_stop(User& u, bool cancelled);
  friend core::Task<> run_task_set(User& u, const TaskSet& set);
  friend class UserFlags;
  class FlagTrace;

  core::Task<std::int64_t> evaluate_int(std::string_view key, std::int64_t default_value);
  core::Task<bool> evaluate_bool(std::string_view key, bool default_value);
  // Adds the feature_flag.evaluation event of flags_->last_evaluation() to the active span.
  void record_flag_evaluation(otel::AttrValue value);
  // How the spans that ended by an exception (unwound_spans_) are recorded, once the handler
  // knows what was thrown.
  enum class Unwind : std::uint8_t {
    kControlFlow,  // StopUser, RescheduleTask: not an error, status unset
    kCancelled,    // core::Cancelled (the user was killed): status unset, loadgen.task.cancelled
    kException,    // a task error: status ERROR, an `exception` event with type and message
    kUnknown,      // caught inside the task or not a std::exception: status ERROR
  };
  void settle_unwound_spans(Unwind how, const std::exception* e = nullptr);

  net::EventLoop* loop_ = nullptr;
  UserEvents* events_ = nullptr;
  FlagSource* flags_ = nullptr;
  const UserClass* class_ = nullptr;
  std::optional<client::HttpClient> client_;
  core::Rng rng_;
  net::Sleeper sleeper_;
  std::uint64_t id_ = 0;
  std::int64_t last_wait_end_ns_ = 0;
  std::int64_t start_delay_ns_ = 0;
  const TraceSettings* trace_settings_ = nullptr;
  client::RequestTrace trace_;
  otel::SpanSink* spans_ = nullptr;
  SpanScope* active_span_ = nullptr;           // innermost open span of this user
  std::vector<otel::SpanData> unwound_spans_;  // ended by an exception, not settled yet
  std::string sampled_trace_state_;  // tracestate of a trace the ratio sampler kept ("ot=th:..")
  const LogSettings* log_settings_ = nullptr;
  otel::LogRecordSink* logs_ = nullptr;
  friend class SpanScope;
  std::string session_id_;
  bool stopping_ = false;
  bool killed_ = false;
};

// A task: a coroutine (`fn`), or a nested task set (`set`; fn is then empty) that the user runs
// until a task of the set throws InterruptTaskSet (Locust's nested TaskSet classes).
struct TaskDef {
  std::string name;
  unsigned weight = 1;
  std::function<core::Task<>(User&)> fn;
  // Locust's @tag: what -T/--tags and -E/--exclude-tags select on (filter_by_tags). Tags of a set
  // apply to every task inside it.
  std::vector<std::string> tags;
  std::shared_ptr<const TaskSet> set;
};

// Locust's TaskSet / SequentialTaskSet: tasks picked by weight (or run in order, each `weight`
// times in a row, when sequential), with a wait after each (the set's wait time, else the
// user's). Inner task errors are reported and the set goes on; StopUser and core::Cancelled end
// the user; InterruptTaskSet leaves the set. Every inner task starts a new trace, as a
// top-level task does.
struct TaskSet {
  std::string name;
  bool sequential = false;
  std::optional<WaitTime> wait_time;  // unset: the user class's
  std::vector<TaskDef> tasks;
  std::function<core::Task<>(User&)> on_start;  // may be empty
  std::function<core::Task<>(User&)> on_stop;   // may be empty; runs when the set is left

  // Weighted pick, as UserClass::pick (not for sequential sets).
  const TaskDef& pick(core::Rng& rng) const;
  std::uint64_t total_task_weight() const;
};

// `task<MyUser>("browse", 10, &MyUser::browse)`.
template <class U>
TaskDef task(std::string name, unsigned weight, core::Task<> (U::*fn)()) {
  return TaskDef{
      std::move(name), weight, [fn](User& u) { return (static_cast<U&>(u).*fn)(); }, {}, {}};
}

struct UserClass {
  std::string name;
  unsigned weight = 1;       // share of users (Locust's weight)
  unsigned fixed_count = 0;  // > 0: exactly this many users, spawned first
  WaitTime wait_time;
  std::vector<TaskDef> tasks;
  std::function<std::unique_ptr<User>()> make;
  // Locust's User.host: this class's base URL (absolute, http(s)://host[:port]); empty: --host.
  std::string host;
  // Tasks run in declaration order, each `weight` times in a row (a User whose tasks are one
  // SequentialTaskSet, flattened).
  bool sequential = false;

  // Picks a task by weight (Locust repeats a task `weight` times and picks uniformly).
  const TaskDef& pick(core::Rng& rng) const;
  std::uint64_t total_task_weight() const;
};

template <class U>
UserClass user_class(std::string name, unsigned weight, WaitTime wait, std::vector<TaskDef> tasks) {
  return UserClass{std::move(name),
                   weight,
                   0,
                   wait,
                   std::move(tasks),
                   [] { return std::make_unique<U>(); },
                   {},
                   false};
}

// A user's whole life: on_start, then tasks and waits until stopped, then on_stop.
// Exceptions from tasks are reported to UserEvents; core::Cancelled ends it.
core::Task<> run_user(User& u);

// The pieces of a user's life. run_user runs on_start and on_stop through them; the open model
// runs a user in these pieces: on_start when the user is created, one task per arrival handed
// to it (no wait time), on_stop at the end. Exceptions are handled as run_user handles them;
// core::Cancelled (the user was killed) propagates from run_on_start and run_iteration.
core::Task<> run_on_start(User& u);
struct Iteration {
  const TaskDef* task = nullptr;  // the task that ran (picked as run_user picks)
  bool stop_user = false;         // it threw StopUser: the user ends
};
// `pos` counts a sequential class's runs (the caller keeps it per user).
core::Task<Iteration> run_iteration(User& u, std::uint64_t& pos);
core::Task<> run_on_stop(User& u, bool cancelled);

// Runs a nested task set (TaskDef::set) until one of its tasks throws InterruptTaskSet (returns
// normally; rethrows RescheduleTask when the interrupt asked to reschedule), the user is asked to
// stop (returns), or StopUser / core::Cancelled (propagate).
core::Task<> run_task_set(User& u, const TaskSet& set);

// Runs one task of the user: its fn, or its nested set (run_task_set).
core::Task<> run_task(User& u, const TaskDef& t);

}  // namespace loadgen::scenario
