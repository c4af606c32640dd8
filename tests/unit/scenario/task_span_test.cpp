// Tests for task spans as run_user ends them: a task error records an `exception` event
// (semantic conventions exception.type / exception.message) and status ERROR; a killed user's
// task (core::Cancelled, the end of a run) is not an error but `loadgen.task.cancelled=true`;
// Locust's control flow (RescheduleTask, StopUser) is not an error. And the trace shape of
// User::start_task_span: a trace of its own per task span by default, nested on request.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "loop_runner.hpp"
#include "otel/ids.hpp"
#include "scenario/user.hpp"

namespace loadgen::scenario {
namespace {

using namespace std::chrono_literals;

class Spans final : public otel::SpanSink {
 public:
  void record(otel::SpanData&& s) override { spans.push_back(std::move(s)); }
  std::vector<otel::SpanData> spans;
};

class NoEvents final : public UserEvents {
 public:
  void on_task_exception(const UserClass&, std::string_view, std::string_view what) override {
    errors.emplace_back(what);
  }
  std::vector<std::string> errors;
};

struct TaskTypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PlainUser final : public User {};

class TaskSpanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cls.name = "PlainUser";
    cls.wait_time = WaitTime::constant(0);
  }
  void add_task(std::function<core::Task<>(User&)> fn) {
    cls.tasks.push_back(TaskDef{"task", 1, std::move(fn), {}, {}});
  }
  void run() {
    user.attach(
        User::Runtime{&loop, &cfg, nullptr, &events, nullptr, &cls, 1, 42, 0, &settings, &sink});
    ASSERT_TRUE(testing::run_on_loop(loop, [&] { return run_user(user); })) << "user hung";
  }
  std::vector<const otel::SpanData*> named(std::string_view name) const {
    std::vector<const otel::SpanData*> out;
    for (const auto& s : sink.spans)
      if (s.name == name) out.push_back(&s);
    return out;
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
  NoEvents events;
  UserClass cls;
  int runs = 0;
  PlainUser user;  // after the loop: destroyed first
};

TEST_F(TaskSpanTest, ATaskErrorRecordsAnExceptionEventAndStatusError) {
  add_task([this](User& u) -> core::Task<> {
    if (++runs == 2) throw StopUser{};
    auto outer = u.start_span("user_task");
    auto inner = u.start_span("inner");
    co_await u.sleep(0ns);
    throw TaskTypeError("the shop said no");
  });
  run();
  ASSERT_EQ(events.errors.size(), 1u);
  for (const char* name : {"user_task", "inner"}) {
    const auto spans = named(name);
    ASSERT_EQ(spans.size(), 1u) << name;
    const otel::SpanData& s = *spans[0];
    EXPECT_EQ(s.status_code, otel::StatusCode::kError) << name;
    EXPECT_EQ(s.status_message, "the shop said no");
    ASSERT_EQ(s.events.size(), 1u) << name;
    EXPECT_EQ(s.events[0].name, "exception");
    const otel::AttrValue* type = attr(s.events[0].attributes, "exception.type");
    const otel::AttrValue* message = attr(s.events[0].attributes, "exception.message");
    ASSERT_TRUE(type && message);
    EXPECT_EQ(std::get<std::string>(type->v),
              "loadgen::scenario::(anonymous namespace)::TaskTypeError");
    EXPECT_EQ(std::get<std::string>(message->v), "the shop said no");
    EXPECT_EQ(attr(s.attributes, "loadgen.task.cancelled"), nullptr);
  }
}

TEST_F(TaskSpanTest, AKilledTaskIsCancelledNotAnError) {
  add_task([](User& u) -> core::Task<> {
    auto span = u.start_span("user_task");
    co_await u.sleep(60s);  // the run ends here: the user is killed
  });
  loop.post([&] { user.kill(); });
  run();
  EXPECT_TRUE(events.errors.empty());
  const auto spans = named("user_task");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0]->status_code, otel::StatusCode::kUnset);
  EXPECT_TRUE(spans[0]->status_message.empty());
  EXPECT_TRUE(spans[0]->events.empty());
  const otel::AttrValue* cancelled = attr(spans[0]->attributes, "loadgen.task.cancelled");
  ASSERT_NE(cancelled, nullptr);
  EXPECT_TRUE(std::get<bool>(cancelled->v));
}

TEST_F(TaskSpanTest, RescheduleTaskAndStopUserAreNotErrors) {
  add_task([this](User& u) -> core::Task<> {
    auto span = u.start_span("user_task");
    co_await u.sleep(0ns);
    if (++runs == 1) throw RescheduleTask{};
    throw StopUser{};
  });
  run();
  const auto spans = named("user_task");
  ASSERT_EQ(spans.size(), 2u);
  for (const otel::SpanData* s : spans) {
    EXPECT_EQ(s->status_code, otel::StatusCode::kUnset);
    EXPECT_TRUE(s->events.empty());
    EXPECT_EQ(attr(s->attributes, "loadgen.task.cancelled"), nullptr);
  }
}

TEST_F(TaskSpanTest, AnExceptionTheTaskCaughtItselfStillEndsItsSpanInError) {
  add_task([this](User& u) -> core::Task<> {
    if (++runs == 2) throw StopUser{};
    try {
      auto span = u.start_span("guarded");
      throw std::runtime_error("handled");
    } catch (const std::runtime_error&) {
    }
    co_return;
  });
  run();
  const auto spans = named("guarded");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0]->status_code, otel::StatusCode::kError);
  EXPECT_TRUE(events.errors.empty());
}

// on_start-like shape: an outer task span calls another task (user_session_start -> user_index).
core::Task<> outer_and_inner(User& u) {
  auto outer = u.start_task_span("outer");
  { auto inner = u.start_task_span("inner"); }
  { auto after = u.start_span("after"); }  // a plain span: in the outer trace again
  co_await u.sleep(0ns);
  throw StopUser{};
}

TEST_F(TaskSpanTest, TaskSpansAreRootsOfTheirOwnTracesByDefault) {
  add_task(outer_and_inner);
  run();
  const auto outer = named("outer");
  const auto inner = named("inner");
  const auto after = named("after");
  ASSERT_TRUE(outer.size() == 1 && inner.size() == 1 && after.size() == 1);
  EXPECT_FALSE(otel::is_valid(outer[0]->parent_span_id));
  EXPECT_FALSE(otel::is_valid(inner[0]->parent_span_id));
  EXPECT_NE(inner[0]->trace_id, outer[0]->trace_id);  // traces per task = tasks run
  EXPECT_EQ(after[0]->trace_id, outer[0]->trace_id);  // the outer trace resumes
  EXPECT_EQ(after[0]->parent_span_id, outer[0]->span_id);
}

TEST_F(TaskSpanTest, NestedShapeOnRequest) {
  settings.nested_task_spans = true;
  add_task(outer_and_inner);
  run();
  const auto outer = named("outer");
  const auto inner = named("inner");
  ASSERT_TRUE(outer.size() == 1 && inner.size() == 1);
  EXPECT_EQ(inner[0]->trace_id, outer[0]->trace_id);
  EXPECT_EQ(inner[0]->parent_span_id, outer[0]->span_id);
}

TEST_F(TaskSpanTest, RatioSampledTracesCarryTheirThreshold) {
  settings.sampler = otel::Sampler{otel::SamplerKind::kParentBasedTraceIdRatio, 1.0};
  add_task(outer_and_inner);
  run();
  ASSERT_FALSE(sink.spans.empty());
  for (const auto& s : sink.spans) EXPECT_EQ(s.trace_state, "ot=th:0") << s.name;
}

}  // namespace
}  // namespace loadgen::scenario
