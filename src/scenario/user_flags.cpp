// User's feature flags (see UserFlags in user.hpp): each evaluation traced, as a
// `feature_flag.evaluation` event on the active span and as a log Event, and the default provider.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/strings.hpp"
#include "otel/ids.hpp"
#include "scenario/user.hpp"
#include "scenario/user_detail.hpp"

namespace loadgen::scenario {

namespace user_detail {
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
}  // namespace

FlagSource& default_flags() {
  static DefaultFlags flags;
  return flags;
}

}  // namespace user_detail

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

}  // namespace loadgen::scenario
