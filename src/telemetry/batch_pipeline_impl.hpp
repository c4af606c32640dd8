// Member definitions of BatchPipeline<S> (batch_pipeline.hpp). Included only by the .cpp
// files that instantiate a pipeline (trace_pipeline.cpp, log_pipeline.cpp).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "telemetry/batch_pipeline.hpp"
#include "telemetry/otlp_tls.hpp"

namespace loadgen::telemetry {

template <class S>
BatchPipeline<S>::BatchPipeline(const PipelineConfig& config, otel::Resource resource,
                                typename S::Source& source, core::LogSink* log,
                                ExporterFactory factory)
    : batch_(config.batch),
      config_(config),
      source_(source),
      log_(log),
      factory_(std::move(factory)),
      warn_(log) {
  batch_.max_queue_size = std::max<std::uint32_t>(batch_.max_queue_size, 1);
  batch_.max_export_batch_size =
      std::clamp<std::uint32_t>(batch_.max_export_batch_size, 1, batch_.max_queue_size);
  // One resource and one scope per batch; only the items change between batches.
  otel::InstrumentationScope scope;
  scope.name = std::string(kScopeName);
  scope.version = std::string(kScopeVersion);
  batch_buf_.push_back(S::make_batch(std::move(resource), std::move(scope)));
}

template <class S>
BatchPipeline<S>::~BatchPipeline() {
  shutdown(batch_.export_timeout.count() > 0 ? batch_.export_timeout
                                             : std::chrono::milliseconds(30000));
}

template <class S>
void BatchPipeline<S>::start() {
  if (started_) return;
  started_ = true;
  loop_ = std::make_unique<net::EventLoop>(otlp_tls_options(config_.otlp, log_));
  thread_ = std::thread([this] { thread_main(); });
}

template <class S>
void BatchPipeline<S>::thread_main() {
  bool clean = false;
  try {
    exporters_ = factory_(*loop_);
    core::spawn(drain_loop(), [this](std::exception_ptr e) {
      if (e && log_) log_->log(core::LogLevel::kError, fmt::format("{} pipeline: drain loop failed", S::kName));
    });
    core::spawn(export_loop(), [this, &clean](std::exception_ptr e) {
      if (e && log_) log_->log(core::LogLevel::kError, fmt::format("{} pipeline: export loop failed", S::kName));
      clean = true;
      loop_->stop();
    });
    loop_->run();
  } catch (const std::exception& e) {
    if (log_) log_->log(core::LogLevel::kError, fmt::format("{} pipeline: {}", S::kName, e.what()));
  }
  if (clean) {
    exporters_.clear();  // on this thread: their connections belong to this loop
  } else {
    // Stopped past the deadline with an export still suspended: its frame refers to the
    // exporters and the loop, so both are left alive (the process is exiting).
    new Exporters(std::move(exporters_));
    (void)loop_.release();
  }
  done_.set();
}

template <class S>
void BatchPipeline<S>::shutdown(std::chrono::milliseconds deadline) {
  if (!started_ || joined_) {
    joined_ = true;
    return;
  }
  joined_ = true;
  const auto final_deadline = Clock::now() + deadline;
  net::EventLoop* loop = loop_.get();
  loop->post([this, final_deadline, loop] {
    stopping_ = true;
    final_deadline_ = final_deadline;
    for (auto& e : exporters_) e->final_flush();
    loop->wake(drain_sleeper_);
  });
  await_or_stop(
      done_, *loop, final_deadline,
      [this] {
        for (auto& e : exporters_) e->cancel();
      },
      log_, S::kName);
  thread_.join();
}

template <class S>
typename BatchPipeline<S>::Counters BatchPipeline<S>::counters() const {
  Counters c;
  c.exported = exported_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.failed_exports = failed_exports_.load(std::memory_order_relaxed);
  c.failed_spans = failed_spans_.load(std::memory_order_relaxed);
  c.retries = retries_.load(std::memory_order_relaxed);
  return c;
}

template <class S>
void BatchPipeline<S>::drain_once() {
  drained_.clear();
  std::uint64_t buffer_drops = 0;
  try {
    source_.drain(drained_, buffer_drops);
  } catch (const std::exception& e) {
    warn_.warn("drain", fmt::format("{} pipeline: source failed: {}", S::kName, e.what()),
               core::mono_ns());
  }
  std::uint64_t dropped = buffer_drops;
  for (auto& span : drained_) {
    if (queue_.size() < batch_.max_queue_size) {
      queue_.push_back(std::move(span));
    } else {
      ++dropped;  // BSP: a full queue drops new spans
    }
  }
  drained_.clear();
  if (dropped) dropped_.fetch_add(dropped, std::memory_order_relaxed);
  queued_.store(queue_.size(), std::memory_order_relaxed);
}

// The batch processors' trigger (trace/sdk.md, logs/sdk.md "Batching processor"): export when
// a full batch (max_export_batch_size) is queued, or when schedule_delay has passed since the
// last export. The workers' buffers are drained every kPollInterval (or schedule_delay if
// shorter) so that a full batch is seen without waiting for the delay: with the defaults
// (5 s, 2048-item queue) waiting would drop everything beyond ~400 items/s.
template <class S>
core::Task<void> BatchPipeline<S>::drain_loop() {
  // OTEL_BSP_SCHEDULE_DELAY=0 ("export at once") polls every 10 ms rather than spinning.
  const auto poll = std::clamp<std::chrono::nanoseconds>(batch_.schedule_delay, kMinPollInterval,
                                                         kPollInterval);
  auto due = Clock::now() + batch_.schedule_delay;
  for (;;) {
    co_await loop_->sleep(drain_sleeper_, poll);
    drain_once();  // after a wake by shutdown this is the final drain
    if (stopping_) break;
    const bool timer = Clock::now() >= due;
    if (timer) {
      flush_partial_ = true;
      due = Clock::now() + batch_.schedule_delay;
    }
    if ((timer && !queue_.empty()) || queue_.size() >= batch_.max_export_batch_size)
      loop_->wake(export_sleeper_);
  }
  drain_done_ = true;
  flush_partial_ = true;
  loop_->wake(export_sleeper_);
}

template <class S>
core::Task<void> BatchPipeline<S>::export_loop() {
  std::vector<Item> spans;
  for (;;) {
    // Full batches as soon as they are queued; the rest when the delay has passed (or at
    // the final flush).
    while (queue_.size() >= batch_.max_export_batch_size || (flush_partial_ && !queue_.empty())) {
      if (stopping_ && Clock::now() >= final_deadline_) {
        // Past the shutdown deadline: what is left is dropped, and counted.
        dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
        queue_.clear();
        queued_.store(0, std::memory_order_relaxed);
        break;
      }
      const std::size_t n = std::min<std::size_t>(queue_.size(), batch_.max_export_batch_size);
      spans.clear();
      for (std::size_t i = 0; i < n; ++i) {
        spans.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_.store(queue_.size(), std::memory_order_relaxed);
      co_await export_batch(spans);
    }
    if (queue_.empty()) flush_partial_ = false;
    if (drain_done_ && queue_.empty()) break;
    if (drain_done_ && stopping_ && Clock::now() >= final_deadline_) break;
    co_await loop_->sleep(export_sleeper_, std::chrono::hours(24));
  }
  for (auto& e : exporters_) e->shutdown();
}

template <class S>
core::Task<void> BatchPipeline<S>::export_batch(std::vector<Item>& spans) {
  auto deadline = batch_.export_timeout.count() > 0 ? Clock::now() + batch_.export_timeout
                                                    : Clock::time_point::max();
  if (stopping_) deadline = std::min(deadline, final_deadline_);
  auto& slot = S::items(batch_buf_.front());
  slot.swap(spans);
  const std::uint64_t n = slot.size();
  for (auto& exporter : exporters_) {
    ExportResult r;
    try {
      r = co_await exporter->export_batch(batch_buf_, deadline);
    } catch (const std::exception& e) {
      r = ExportResult{ExportResult::Code::kFailure, e.what(), 0, 0};
    }
    if (r.retries) retries_.fetch_add(r.retries, std::memory_order_relaxed);
    if (r.ok()) {
      const auto rejected = static_cast<std::uint64_t>(std::clamp<std::int64_t>(
          r.rejected, 0, static_cast<std::int64_t>(n)));
      exported_.fetch_add(n - rejected, std::memory_order_relaxed);
      if (rejected) failed_spans_.fetch_add(rejected, std::memory_order_relaxed);
    } else {
      failed_exports_.fetch_add(1, std::memory_order_relaxed);
      failed_spans_.fetch_add(n, std::memory_order_relaxed);
      warn_.warn(exporter->name(),
                 fmt::format("{} export failed ({}, {} {} lost): {}", S::kName, exporter->name(), n,
                             S::kItems, r.message),
                 core::mono_ns());
    }
  }
  slot.swap(spans);
  spans.clear();
}

}  // namespace loadgen::telemetry
