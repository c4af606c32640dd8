// TracePipeline: batching from a SpanSource, the queue bound and its drop count, flush on
// shutdown, and a dead or hanging collector that costs drops, not memory or time.
#include "telemetry/trace_pipeline.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "telemetry/file_exporter.hpp"
#include "telemetry_test_util.hpp"
#include "test_server.hpp"

namespace loadgen::telemetry {
namespace {

using loadgen::testing::http_reply;
using loadgen::testing::ReceivedRequest;
using loadgen::testing::Reply;
using loadgen::testing::TestServer;
using std::chrono::milliseconds;

// What RecordingExporter saw; owned by the test (the pipeline destroys its exporters).
struct Record {
  std::mutex mu;
  std::vector<std::string> names;
  std::vector<std::size_t> batch_sizes;
  std::optional<Clock::time_point> first_export;
  std::size_t batches = 0;
  std::size_t largest = 0;
  std::atomic<bool> shut_down{false};
};

// Records what it is given; optionally fails.
class RecordingExporter final : public SpanExporter {
 public:
  RecordingExporter(Record& rec, bool fail) : rec_(rec), fail_(fail) {}
  core::Task<ExportResult> export_batch(const std::vector<otel::ResourceSpans>& batch,
                                        Clock::time_point) override {
    std::lock_guard lk(rec_.mu);
    ++rec_.batches;
    if (!rec_.first_export) rec_.first_export = Clock::now();
    for (const auto& rs : batch) {
      EXPECT_EQ(rs.resource.attributes.at(0).key, "service.name");
      for (const auto& ss : rs.scope_spans) {
        EXPECT_EQ(ss.scope.name, kScopeName);
        EXPECT_EQ(ss.scope.version, kScopeVersion);
        rec_.largest = std::max(rec_.largest, otel::span_count(ss));
        rec_.batch_sizes.push_back(otel::span_count(ss));
        for (const auto& s : ss.spans) rec_.names.push_back(s.name);
        for (const auto& r : ss.client_spans) {  // compact CLIENT spans: named by method
          for (std::size_t i = r.first; i < r.first + r.count; ++i)
            rec_.names.emplace_back(r.spans->records[i].method);
        }
      }
    }
    if (fail_) co_return ExportResult{ExportResult::Code::kFailure, "nope", 0, 0};
    co_return ExportResult{};
  }
  void shutdown() override { rec_.shut_down = true; }
  std::string_view name() const override { return "recording"; }

 private:
  Record& rec_;
  bool fail_;
};

otel::TracesConfig config(milliseconds delay, std::uint32_t queue, std::uint32_t batch) {
  otel::TracesConfig c;
  c.batch.schedule_delay = delay;
  c.batch.max_queue_size = queue;
  c.batch.max_export_batch_size = batch;
  c.batch.export_timeout = milliseconds(2000);
  return c;
}

ExporterFactory hand_over(Record& rec, bool fail = false) {
  return [&rec, fail](net::EventLoop&) {
    Exporters v;
    v.push_back(std::make_unique<RecordingExporter>(rec, fail));
    return v;
  };
}

template <class Pred>
bool eventually(Pred pred, milliseconds limit = milliseconds(5000)) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(5));  // polling a counter; no ordering implied
  }
  return pred();
}

TEST(TracePipeline, ExportsInBatchesWithResourceAndScope) {
  testing::FakeSpanSource source;
  testing::RecordingLog log;
  Record rec;
  TracePipeline p(config(milliseconds(20), 100, 4), testing::make_resource(), source, &log,
                  hand_over(rec));
  source.push(0, 10);
  p.start();
  ASSERT_TRUE(eventually([&] { return p.counters().exported == 10; }));
  p.shutdown(milliseconds(1000));
  EXPECT_EQ(rec.names.size(), 10u);
  EXPECT_EQ(rec.largest, 4u);
  EXPECT_EQ(rec.batches, 3u);  // 4 + 4 + 2
  EXPECT_EQ(rec.names.front(), "span-0");
  EXPECT_EQ(rec.names.back(), "span-9");
  EXPECT_TRUE(rec.shut_down);
  EXPECT_EQ(p.counters().dropped, 0u);
}

// The BSP trigger: a full batch is exported without waiting for the schedule delay (with the
// default 5 s delay and 2048 queue, waiting would drop everything beyond ~400 spans/s);
// a partial batch waits for the delay.
TEST(TracePipeline, FullBatchesGoBeforeTheScheduleDelay) {
  testing::FakeSpanSource source;
  Record rec;
  TracePipeline p(config(milliseconds(60000), 1000, 100), testing::make_resource(), source, nullptr,
                  hand_over(rec));
  p.start();
  source.push(0, 250);
  ASSERT_TRUE(eventually([&] { return p.counters().exported == 200; }, milliseconds(3000)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(p.counters().exported, 200u);  // the 50 left wait for the delay (or the end)
  p.shutdown(milliseconds(2000));
  EXPECT_EQ(p.counters().exported, 250u);
  EXPECT_EQ(rec.batch_sizes, (std::vector<std::size_t>{100, 100, 50}));
}

TEST(TracePipeline, APartialBatchWaitsForTheScheduleDelay) {
  testing::FakeSpanSource source;
  Record rec;
  TracePipeline p(config(milliseconds(400), 1000, 100), testing::make_resource(), source, nullptr,
                  hand_over(rec));
  source.push(0, 30);
  const auto t0 = Clock::now();
  p.start();
  ASSERT_TRUE(eventually([&] { return p.counters().exported == 30; }, milliseconds(5000)));
  std::lock_guard lk(rec.mu);
  ASSERT_TRUE(rec.first_export.has_value());
  EXPECT_GE(*rec.first_export - t0, milliseconds(400));
  EXPECT_EQ(rec.batch_sizes, std::vector<std::size_t>{30});
}

TEST(TracePipeline, AZeroScheduleDelayExportsPromptlyWithoutSpinning) {
  testing::FakeSpanSource source;
  Record rec;
  TracePipeline p(config(milliseconds(0), 1000, 100), testing::make_resource(), source, nullptr,
                  hand_over(rec));
  p.start();
  source.push(0, 5);
  ASSERT_TRUE(eventually([&] { return p.counters().exported == 5; }, milliseconds(3000)));
  // Idle for 300 ms: at one drain per 10 ms at most, the source is asked ~30 times, not
  // thousands (a zero-delay sleep would spin).
  const auto before = source.drains();
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_LT(source.drains() - before, 60u);
  p.shutdown(milliseconds(1000));
}

TEST(TracePipeline, ShutdownFlushesPendingSpansWithoutWaitingForTheSchedule) {
  testing::FakeSpanSource source;
  Record rec;
  TracePipeline p(config(milliseconds(60000), 100, 50), testing::make_resource(), source, nullptr,
                  hand_over(rec));
  p.start();
  source.push(0, 7);
  const auto t0 = Clock::now();
  p.shutdown(milliseconds(2000));
  EXPECT_LT(Clock::now() - t0, milliseconds(1000));
  EXPECT_EQ(p.counters().exported, 7u);
  EXPECT_EQ(rec.names.size(), 7u);
}

TEST(TracePipeline, AFullQueueDropsAndCountsWithTheBuffersDrops) {
  testing::FakeSpanSource source;
  Record rec;
  TracePipeline p(config(milliseconds(60000), 20, 10), testing::make_resource(), source, nullptr,
                  hand_over(rec));
  p.start();
  source.push(0, 50);
  source.add_buffer_drops(5);
  p.shutdown(milliseconds(2000));
  const auto c = p.counters();
  EXPECT_EQ(c.exported, 20u);
  EXPECT_EQ(c.dropped, 30u + 5u);
}

TEST(TracePipeline, FailedExportsAreCountedAndLogged) {
  testing::FakeSpanSource source;
  testing::RecordingLog log;
  Record rec;
  TracePipeline p(config(milliseconds(20), 100, 5), testing::make_resource(), source, &log,
                  hand_over(rec, /*fail=*/true));
  source.push(0, 10);
  p.start();
  ASSERT_TRUE(eventually([&] { return p.counters().failed_exports == 2; }));
  p.shutdown(milliseconds(1000));
  EXPECT_EQ(p.counters().exported, 0u);
  EXPECT_EQ(p.counters().failed_items, 10u);
  EXPECT_TRUE(log.contains("nope"));
}

TEST(TracePipeline, ShutdownWithoutStartAndTwiceIsHarmless) {
  testing::FakeSpanSource source;
  TracePipeline p(config(milliseconds(20), 10, 5), testing::make_resource(), source, nullptr);
  p.shutdown(milliseconds(10));
  p.shutdown(milliseconds(10));
  TracePipeline q(config(milliseconds(20), 10, 5), testing::make_resource(), source, nullptr,
                  [](net::EventLoop&) { return Exporters{}; });
  q.start();
  q.shutdown(milliseconds(100));
  q.shutdown(milliseconds(100));
}

TEST(TracePipeline, CollectorDownCostsCountedDropsNotMemoryOrTime) {
  testing::FakeSpanSource source;
  source.set_per_drain(500);  // a busy engine: 500 new spans every 20 ms
  testing::RecordingLog log;
  auto c = config(milliseconds(20), 100, 20);
  c.exporters.kinds = {otel::ExporterKind::kOtlp};
  c.otlp.protocol = otel::OtlpProtocol::kHttpProtobuf;
  c.otlp.endpoint =
      "http://127.0.0.1:" + std::to_string(loadgen::testing::unused_port()) + "/v1/traces";
  c.otlp.timeout = milliseconds(300);
  TracePipeline p(c, testing::make_resource(), source, &log);
  p.start();
  std::size_t max_queued = 0;
  const auto end = Clock::now() + milliseconds(1500);
  while (Clock::now() < end) {
    max_queued = std::max(max_queued, p.queued());
    std::this_thread::sleep_for(milliseconds(2));
  }
  // The drain keeps its pace while exports fail (the engine's buffers are emptied).
  EXPECT_GE(source.drains(), 20u);
  EXPECT_LE(max_queued, 100u);
  const auto t0 = Clock::now();
  p.shutdown(milliseconds(500));
  EXPECT_LT(Clock::now() - t0, milliseconds(1600));
  const auto k = p.counters();
  EXPECT_GT(k.dropped, 1000u);
  EXPECT_GE(k.failed_exports, 1u);
  EXPECT_EQ(k.exported, 0u);
  EXPECT_TRUE(log.contains("trace export failed")) << ::testing::PrintToString(log.lines());
}

TEST(TracePipeline, HangingCollectorStillShutsDownWithinTheDeadline) {
  TestServer server([](const ReceivedRequest&) { return Reply{"", Reply::After::kHang}; });
  testing::FakeSpanSource source;
  auto c = config(milliseconds(20), 50, 10);
  c.exporters.kinds = {otel::ExporterKind::kOtlp};
  c.otlp.endpoint = server.base_url() + "/v1/traces";
  c.otlp.timeout = milliseconds(60000);
  c.batch.export_timeout = milliseconds(60000);
  TracePipeline p(c, testing::make_resource(), source, nullptr);
  source.push(0, 30);
  p.start();
  ASSERT_TRUE(server.wait_for([&] { return server.request_count() >= 1; }));
  const auto t0 = Clock::now();
  p.shutdown(milliseconds(500));
  EXPECT_LT(Clock::now() - t0, milliseconds(1600));
  const auto k = p.counters();
  EXPECT_EQ(k.exported, 0u);
  EXPECT_EQ(k.failed_items + k.dropped, 30u);
}

TEST(TracePipeline, EndToEndOverHttpJsonWithGzip) {
  std::mutex mu;
  std::vector<std::string> names;
  TestServer server([&](const ReceivedRequest& r) {
    std::string body = r.body;
    if (r.header("Content-Encoding") == "gzip") testing::gunzip(r.body, body);
    const auto j = nlohmann::json::parse(body);
    std::lock_guard lk(mu);
    for (const auto& s : j.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans"))
      names.push_back(s.at("name").get<std::string>());
    return http_reply(200, "{}", "Content-Type: application/json\r\n");
  });
  testing::FakeSpanSource source;
  auto c = config(milliseconds(20), 100, 8);
  c.exporters.kinds = {otel::ExporterKind::kOtlp};
  c.otlp.protocol = otel::OtlpProtocol::kHttpJson;
  c.otlp.compression = otel::OtlpCompression::kGzip;
  c.otlp.endpoint = server.base_url() + "/v1/traces";
  TracePipeline p(c, testing::make_resource(), source, nullptr);
  p.start();
  source.push(0, 20);
  p.shutdown(milliseconds(3000));
  EXPECT_EQ(p.counters().exported, 20u);
  std::lock_guard lk(mu);
  EXPECT_EQ(names.size(), 20u);
  EXPECT_EQ(server.request_count(), 3u);  // 8 + 8 + 4
}

// A source like the engine: CLIENT spans in compact buffers, and "a batch is ready" calls.
class CompactSource final : public otel::SpanSource {
 public:
  void drain(std::vector<otel::SpanData>&, std::uint64_t&) override {}
  void drain_into(otel::SpanDrain& d) override {
    std::function<void()> ready;
    {
      std::lock_guard lk(mu_);
      const auto now = std::chrono::steady_clock::now();
      ++drains_;
      if (signalled_at_ && !drained_after_signal_) drained_after_signal_ = now - *signalled_at_;
      spares_seen_ = std::max(spares_seen_, d.spare.size());
      for (auto& b : pending_) d.client.push_back(std::move(b));
      pending_.clear();
      if (fill_after_drain_ != 0) {
        pending_.push_back(make_buffer(fill_after_drain_, "GET"));
        fill_after_drain_ = 0;
        signalled_at_ = now;
        ready = ready_;
      }
    }
    if (ready) ready();
  }
  void on_batch_ready(std::size_t batch, std::function<void()> ready) override {
    std::lock_guard lk(mu_);
    batch_ = batch;
    ready_ = std::move(ready);
  }
  // A buffer of n CLIENT spans named `method`.
  void push(std::size_t n, std::string_view method) {
    auto b = make_buffer(n, method);
    std::lock_guard lk(mu_);
    pending_.push_back(std::move(b));
  }
  // Right after the next drain (on the exporter thread), a buffer of n spans fills and the
  // source says a batch is ready, as a worker would.
  void fill_and_signal_after_next_drain(std::size_t n) {
    std::lock_guard lk(mu_);
    fill_after_drain_ = n;
  }
  // From that signal to the drain after it.
  std::optional<std::chrono::steady_clock::duration> drained_after_signal() const {
    std::lock_guard lk(mu_);
    return drained_after_signal_;
  }
  void signal() {
    std::function<void()> ready;
    {
      std::lock_guard lk(mu_);
      ready = ready_;
    }
    if (ready) ready();
  }
  std::size_t batch() const {
    std::lock_guard lk(mu_);
    return batch_;
  }
  std::uint64_t drains() const {
    std::lock_guard lk(mu_);
    return drains_;
  }
  std::size_t spares_seen() const {
    std::lock_guard lk(mu_);
    return spares_seen_;
  }

 private:
  static std::unique_ptr<otel::ClientSpans> make_buffer(std::size_t n, std::string_view method) {
    auto b = std::make_unique<otel::ClientSpans>();
    for (std::size_t i = 0; i < n; ++i) {
      auto& r = b->records.emplace_back();
      r.method = method;
      r.trace_id[0] = 1;
      r.span_id[0] = static_cast<std::uint8_t>(i + 1);
    }
    return b;
  }

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<otel::ClientSpans>> pending_;
  std::size_t fill_after_drain_ = 0;
  std::optional<std::chrono::steady_clock::time_point> signalled_at_;
  std::optional<std::chrono::steady_clock::duration> drained_after_signal_;
  std::function<void()> ready_;
  std::size_t batch_ = 0;
  std::uint64_t drains_ = 0;
  std::size_t spares_seen_ = 0;
};

TEST(TracePipeline, CompactClientSpansGoInBatchesAcrossBuffersAndTheBuffersComeBack) {
  CompactSource source;
  Record rec;
  TracePipeline p(config(milliseconds(60000), 100, 10), testing::make_resource(), source, nullptr,
                  hand_over(rec));
  source.push(25, "GET");
  source.push(7, "POST");
  p.start();
  ASSERT_TRUE(eventually([&] { return p.counters().exported == 30; }));
  EXPECT_TRUE(eventually([&] { return source.drains() >= 2; }));
  EXPECT_GE(source.spares_seen(), 1u);  // the used-up buffer is offered back
  p.shutdown(milliseconds(2000));
  EXPECT_EQ(p.counters().exported, 32u);
  EXPECT_EQ(p.counters().dropped, 0u);
  EXPECT_EQ(rec.batch_sizes, (std::vector<std::size_t>{10, 10, 10, 2}));
  ASSERT_EQ(rec.names.size(), 32u);
  EXPECT_EQ(rec.names[24], "GET");
  EXPECT_EQ(rec.names[25], "POST");
}

TEST(TracePipeline, AFullQueueDropsTheTailOfACompactBuffer) {
  CompactSource source;
  Record rec;
  TracePipeline p(config(milliseconds(60000), 20, 10), testing::make_resource(), source, nullptr,
                  hand_over(rec));
  p.start();
  source.push(50, "GET");
  p.shutdown(milliseconds(2000));
  EXPECT_EQ(p.counters().exported, 20u);
  EXPECT_EQ(p.counters().dropped, 30u);
}

// The BSP trigger from the source: the pipeline asks to be told when a buffer holds
// max_export_batch_size spans; being told drains at once; after shutdown being told is harmless.
TEST(TracePipeline, ASourceThatSaysABatchIsReadyIsDrainedAtOnceAndOutlivesThePipeline) {
  CompactSource source;
  Record rec;
  {
    TracePipeline p(config(milliseconds(60000), 1000, 64), testing::make_resource(), source,
                    nullptr, hand_over(rec));
    p.start();
    EXPECT_EQ(source.batch(), 64u);
    // The batch fills just after a periodic drain: without the signal it would wait for the
    // next poll, kPollInterval later (the 60 s schedule delay exports nothing meanwhile).
    source.fill_and_signal_after_next_drain(64);
    ASSERT_TRUE(eventually([&] { return p.counters().exported == 64; }));
    const auto drained = source.drained_after_signal();
    ASSERT_TRUE(drained.has_value());
    EXPECT_LT(*drained, TracePipeline::kPollInterval * 3 / 4)
        << std::chrono::duration_cast<std::chrono::microseconds>(*drained).count() << " us";
    p.shutdown(milliseconds(1000));
  }
  source.signal();  // the pipeline is gone
  EXPECT_EQ(rec.batch_sizes, std::vector<std::size_t>{64});
}

}  // namespace
}  // namespace loadgen::telemetry
