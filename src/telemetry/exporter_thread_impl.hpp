// Member definitions of ExporterThread<Batch> (exporter_thread.hpp). Included only by the .cpp
// files that instantiate a pipeline.
#pragma once

#include <fmt/format.h>

#include <exception>
#include <string>
#include <utility>

#include "telemetry/exporter_thread.hpp"
#include "telemetry/otlp_tls.hpp"

namespace loadgen::telemetry {

template <class Batch>
ExporterThread<Batch>::ExporterThread(std::string_view name, const otel::OtlpExporterConfig& otlp,
                                      core::LogSink* log, ExporterFactory factory)
    : log_(log), name_(name), otlp_(otlp), factory_(std::move(factory)) {}

template <class Batch>
bool ExporterThread<Batch>::start_thread() {
  if (started_) return false;
  started_ = true;
  loop_ = std::make_unique<net::EventLoop>(otlp_tls_options(otlp_, log_));
  loop_ptr_ = loop_.get();
  thread_ = std::thread([this] { thread_main(); });
  return true;
}

template <class Batch>
core::Task<void> ExporterThread<Batch>::main_task() {
  co_await run();
  for (auto& e : exporters_) e->shutdown();
}

template <class Batch>
void ExporterThread<Batch>::thread_main() {
  bool clean = false;
  try {
    exporters_ = factory_(*loop_);
    core::spawn(main_task(), [this, &clean](std::exception_ptr e) {
      if (e && log_) {
        log_->log(core::LogLevel::kError, fmt::format("{} pipeline: exporter loop failed", name_));
      }
      clean = true;
      loop_->stop();
    });
    loop_->run();
  } catch (const std::exception& e) {
    if (log_) log_->log(core::LogLevel::kError, fmt::format("{} pipeline: {}", name_, e.what()));
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

template <class Batch>
void ExporterThread<Batch>::stop_thread(std::chrono::milliseconds deadline) {
  if (!started_ || joined_) {
    joined_ = true;
    return;
  }
  joined_ = true;
  const auto final_deadline = Clock::now() + deadline;
  net::EventLoop* loop = loop_ptr_;
  loop->post([this, final_deadline] {
    stopping_ = true;
    final_deadline_ = final_deadline;
    for (auto& e : exporters_) e->final_flush();
    on_stop();
  });
  await_or_stop(
      done_, *loop, final_deadline,
      [this] {
        for (auto& e : exporters_) e->cancel();
      },
      log_, name_);
  thread_.join();
}

template <class Batch>
core::Task<void> ExporterThread<Batch>::export_all(
    const std::vector<Batch>& batch, Clock::time_point deadline,
    const std::function<void(Exporter<Batch>&, const ExportResult&)>& each) {
  for (auto& exporter : exporters_) {
    ExportResult r;
    try {
      r = co_await exporter->export_batch(batch, deadline);
    } catch (const std::exception& e) {
      r = ExportResult{ExportResult::Code::kFailure, e.what(), 0, 0};
    }
    each(*exporter, r);
  }
}

}  // namespace loadgen::telemetry
