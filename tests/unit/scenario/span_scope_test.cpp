// Tests for SpanScope (span limits, events, nesting) and the tracing of flag evaluations
// through User::flags(): the feature_flag.evaluation event on the active span, and a span of
// its own (in a trace of its own) for an evaluation that calls the provider outside any span.
#include "scenario/span_scope.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "client/propagation.hpp"
#include "loop_runner.hpp"
#include "otel/ids.hpp"
#include "scenario/user.hpp"

namespace loadgen::scenario {
namespace {

class Spans final : public otel::SpanSink {
 public:
  void record(otel::SpanData&& s) override { spans.push_back(std::move(s)); }
  std::vector<otel::SpanData> spans;
};

// A provider that answers `value`, pretending to call its backend for keys in `remote`.
class FakeFlags final : public FlagSource {
 public:
  core::Task<std::int64_t> int_value(std::string_view key, std::int64_t d,
                                     const client::RequestTrace* trace) override {
    settle(key, trace);
    co_return key == "missing" ? d : value;
  }
  core::Task<bool> bool_value(std::string_view key, bool d,
                              const client::RequestTrace* trace) override {
    settle(key, trace);
    co_return d;
  }
  bool would_fetch(std::string_view key) const override { return key == remote; }
  const FlagEvaluation& last_evaluation() const override { return last; }
  std::string_view provider_name() const override { return "fake"; }
  std::string_view context_id() const override { return "ctx-1"; }

  void settle(std::string_view key, const client::RequestTrace* trace) {
    last = FlagEvaluation{};
    last.key.assign(key);
    if (key == "missing") {
      last.reason = "ERROR";
      last.error_code = "FLAG_NOT_FOUND";
      last.error_message = "flag 'missing' is not defined";
    } else {
      last.variant = "on";
      last.reason = "STATIC";
    }
    if (trace) {
      seen_trace_ids.push_back(trace->trace_id);
      seen_parents.push_back(trace->parent_span_id);
    }
  }

  std::int64_t value = 100;
  std::string remote = "remote";
  FlagEvaluation last;
  std::vector<otel::TraceId> seen_trace_ids;
  std::vector<otel::SpanId> seen_parents;
};

class PlainUser final : public User {};

class SpanScopeTest : public ::testing::Test {
 protected:
  void attach() {
    cls.name = "PlainUser";
    user.attach(
        User::Runtime{&loop, &cfg, nullptr, nullptr, &flags, &cls, 1, 42, 0, &settings, &sink});
    user.begin_trace();
  }
  const otel::SpanData* find(std::string_view name) const {
    for (const auto& s : sink.spans)
      if (s.name == name) return &s;
    return nullptr;
  }
  static const otel::AttrValue* attr(const otel::Attributes& a, std::string_view key) {
    for (const auto& kv : a)
      if (kv.key == key) return &kv.value;
    return nullptr;
  }

  net::EventLoop loop;
  client::ClientConfig cfg;
  TraceSettings settings;
  Spans sink;
  FakeFlags flags;
  UserClass cls;
  PlainUser user;
};

TEST_F(SpanScopeTest, AttributesReplaceAreCountedAndTruncated) {
  settings.limits.attribute_count_limit = 2;
  settings.limits.attribute_value_length_limit = 4;
  attach();
  {
    auto span = user.start_span("work");
    span.set("a", "abcdef").set("b", std::int64_t{1}).set("a", "xy").set("c", true).set("d", 2.0);
    span.set("e", "h\xC3\xA9llo");  // dropped: over the count
  }
  ASSERT_EQ(sink.spans.size(), 1u);
  const auto& s = sink.spans[0];
  ASSERT_EQ(s.attributes.size(), 2u);
  EXPECT_EQ(std::get<std::string>(s.attributes[0].value.v), "xy");  // replaced in place
  EXPECT_EQ(std::get<std::int64_t>(s.attributes[1].value.v), 1);
  EXPECT_EQ(s.dropped_attributes_count, 3u);
}

TEST_F(SpanScopeTest, LongStringsAreCutAtACharacterBoundary) {
  settings.limits.attribute_value_length_limit = 2;
  attach();
  { user.start_span("work").set("k", "\xC3\xA9\xC3\xA9"); }  // "éé": 4 bytes
  ASSERT_EQ(sink.spans.size(), 1u);
  EXPECT_EQ(std::get<std::string>(sink.spans[0].attributes[0].value.v), "\xC3\xA9");
  settings.limits.attribute_value_length_limit = 3;
  { user.start_span("work").set("k", "\xC3\xA9\xC3\xA9"); }
  EXPECT_EQ(std::get<std::string>(sink.spans[1].attributes[0].value.v), "\xC3\xA9");
}

TEST_F(SpanScopeTest, EventsBeyondTheLimitAreDroppedAndCounted) {
  settings.limits.event_count_limit = 1;
  settings.limits.event_attribute_count_limit = 1;
  attach();
  {
    auto span = user.start_span("work");
    span.add_event("first", {{"x", {std::int64_t{1}}}, {"y", {std::int64_t{2}}}});
    span.add_event("second");
  }
  const auto& s = sink.spans.at(0);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "first");
  EXPECT_EQ(s.events[0].attributes.size(), 1u);
  EXPECT_EQ(s.events[0].dropped_attributes_count, 1u);
  EXPECT_EQ(s.dropped_events_count, 1u);
  EXPECT_GT(s.events[0].time_unix_nano, 0u);
}

TEST_F(SpanScopeTest, EvaluationIsAnEventOnTheActiveSpan) {
  attach();
  std::int64_t got = 0, missing = 0;
  ASSERT_TRUE(testing::run_on_loop(loop, [&]() -> core::Task<> {
    auto span = user.start_span("user_flood_home");
    got = co_await user.flags().int_value("remote", 0);
    missing = co_await user.flags().int_value("missing", 7);
  }));
  EXPECT_EQ(got, 100);
  EXPECT_EQ(missing, 7);
  ASSERT_EQ(sink.spans.size(), 1u);  // no extra span: there was an active one
  const auto& s = sink.spans[0];
  ASSERT_EQ(s.events.size(), 2u);
  const auto& ok = s.events[0];
  EXPECT_EQ(ok.name, "feature_flag.evaluation");
  EXPECT_EQ(std::get<std::string>(attr(ok.attributes, "feature_flag.key")->v), "remote");
  EXPECT_EQ(std::get<std::string>(attr(ok.attributes, "feature_flag.provider.name")->v), "fake");
  EXPECT_EQ(std::get<std::int64_t>(attr(ok.attributes, "feature_flag.result.value")->v), 100);
  EXPECT_EQ(std::get<std::string>(attr(ok.attributes, "feature_flag.result.variant")->v), "on");
  EXPECT_EQ(std::get<std::string>(attr(ok.attributes, "feature_flag.result.reason")->v), "static");
  EXPECT_EQ(std::get<std::string>(attr(ok.attributes, "feature_flag.context.id")->v), "ctx-1");
  EXPECT_EQ(attr(ok.attributes, "error.type"), nullptr);
  const auto& bad = s.events[1];
  EXPECT_EQ(std::get<std::string>(attr(bad.attributes, "error.type")->v), "flag_not_found");
  EXPECT_EQ(std::get<std::string>(attr(bad.attributes, "feature_flag.result.reason")->v), "error");
  EXPECT_EQ(std::get<std::string>(attr(bad.attributes, "feature_flag.error.message")->v),
            "flag 'missing' is not defined");
  EXPECT_EQ(std::get<std::int64_t>(attr(bad.attributes, "feature_flag.result.value")->v), 7);
  // The provider saw the task's trace with the span as parent (its request is a child).
  ASSERT_EQ(flags.seen_parents.size(), 2u);
  EXPECT_EQ(flags.seen_parents[0], s.span_id);
  EXPECT_EQ(flags.seen_trace_ids[0], s.trace_id);
}

TEST_F(SpanScopeTest, RemoteEvaluationOutsideASpanGetsItsOwnTrace) {
  attach();
  ASSERT_TRUE(testing::run_on_loop(loop, [&]() -> core::Task<> {
    { auto before = user.start_span("before"); }
    co_await user.flags().int_value("remote", 0);  // calls the provider: a span of its own
    co_await user.flags().int_value("cached", 0);  // no request: no span, no event
    { auto after = user.start_span("after"); }
  }));
  ASSERT_EQ(sink.spans.size(), 3u);
  const otel::SpanData* before = find("before");
  const otel::SpanData* own = find("feature_flag.evaluation");
  const otel::SpanData* after = find("after");
  ASSERT_TRUE(before && own && after);
  EXPECT_NE(own->trace_id, before->trace_id);  // a trace of its own
  EXPECT_FALSE(otel::is_valid(own->parent_span_id));
  EXPECT_EQ(after->trace_id, before->trace_id);  // the task's trace resumes
  EXPECT_EQ(std::get<std::string>(attr(own->attributes, "feature_flag.key")->v), "remote");
  ASSERT_EQ(own->events.size(), 1u);
  EXPECT_EQ(own->events[0].name, "feature_flag.evaluation");
  // The provider's request is the evaluation span's child.
  ASSERT_EQ(flags.seen_parents.size(), 2u);
  EXPECT_EQ(flags.seen_parents[0], own->span_id);
  EXPECT_EQ(flags.seen_trace_ids[0], own->trace_id);
}

struct Records final : otel::LogRecordSink {
  void record(otel::LogRecord&& r) override { records.push_back(std::move(r)); }
  std::vector<otel::LogRecord> records;
};

TEST_F(SpanScopeTest, EvaluationsAreAlsoEventsWhenLogsAreExported) {
  cls.name = "PlainUser";
  LogSettings ls;
  ls.flag_events = true;
  Records logs;
  user.attach(User::Runtime{&loop, &cfg, nullptr, nullptr, &flags, &cls, 1, 42, 0, &settings, &sink,
                            &ls, &logs});
  user.begin_trace();
  ASSERT_TRUE(testing::run_on_loop(loop, [&]() -> core::Task<> {
    {
      auto span = user.start_span("task");
      co_await user.flags().int_value("remote", 0);
    }
    co_await user.flags().int_value("cached", 3);  // outside any span: an event, no context
  }));
  ASSERT_EQ(logs.records.size(), 2u);
  const auto& in_span = logs.records[0];
  EXPECT_EQ(in_span.event_name, "feature_flag.evaluation");
  EXPECT_FALSE(in_span.body.has_value());
  EXPECT_EQ(std::get<std::string>(attr(in_span.attributes, "feature_flag.key")->v), "remote");
  EXPECT_EQ(std::get<std::int64_t>(attr(in_span.attributes, "feature_flag.result.value")->v), 100);
  EXPECT_NE(attr(in_span.attributes, "session.id"), nullptr);
  const otel::SpanData* task = find("task");
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(in_span.trace_id, task->trace_id);
  EXPECT_EQ(in_span.span_id, task->span_id);
  ASSERT_EQ(task->events.size(), 1u);  // and still the span event
  const auto& outside = logs.records[1];
  EXPECT_EQ(std::get<std::string>(attr(outside.attributes, "feature_flag.key")->v), "cached");
  EXPECT_FALSE(otel::is_valid(outside.trace_id));
}

TEST_F(SpanScopeTest, NoEventsWithoutLogExport) {
  cls.name = "PlainUser";
  LogSettings ls;  // flag_events off: logs are only printed
  Records logs;
  user.attach(User::Runtime{&loop, &cfg, nullptr, nullptr, &flags, &cls, 1, 42, 0, &settings, &sink,
                            &ls, &logs});
  user.begin_trace();
  ASSERT_TRUE(testing::run_on_loop(loop, [&]() -> core::Task<> {
    auto span = user.start_span("task");
    co_await user.flags().int_value("remote", 0);
  }));
  EXPECT_TRUE(logs.records.empty());
}

}  // namespace
}  // namespace loadgen::scenario
