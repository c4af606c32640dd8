// How a pipeline's owner ends its exporter thread: wait for the thread to finish its final
// export until the deadline; past it, cancel the exporters (an in-flight export ends as a
// failure) and give them one more second; past that, stop the loop (the process is exiting).
// Used by ExporterThread, the thread of every pipeline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>

#include "core/log_sink.hpp"
#include "net/event_loop.hpp"

namespace loadgen::telemetry {

// Set once by the exporter thread when it is done with its loop and exporters.
class DoneSignal {
 public:
  void set() {
    {
      std::lock_guard lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
  }
  // True when set before `deadline`.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lk(mu_);
    return cv_.wait_until(lk, deadline, [&] { return done_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

// `cancel_exporters` runs on the loop's thread. `what` names the pipeline in the warning.
inline void await_or_stop(DoneSignal& done, net::EventLoop& loop,
                          std::chrono::steady_clock::time_point deadline,
                          std::function<void()> cancel_exporters, core::LogSink* log,
                          std::string_view what) {
  if (done.wait_until(deadline)) return;
  loop.post(std::move(cancel_exporters));
  // The grace covers a source's collection or an exporter that ignores cancel().
  if (done.wait_until(deadline + std::chrono::seconds(1))) return;
  loop.stop();
  if (log) {
    log->log(core::LogLevel::kWarning,
             std::string(what) + " pipeline: stopped with an export in flight");
  }
}

}  // namespace loadgen::telemetry
