#include "app/final_flush.hpp"

#include <atomic>
#include <memory>
#include <thread>

namespace loadgen::app {

namespace {

struct Running {
  FlushStep step;
  std::atomic<bool> done{false};
  std::thread thread;
};

}  // namespace

FlushOutcome flush_all(std::vector<FlushStep> steps, std::chrono::milliseconds bound,
                       const sigset_t& signals, std::chrono::milliseconds grace) {
  // Shared with its thread: a detached (abandoned) thread keeps its entry alive.
  std::vector<std::shared_ptr<Running>> running;
  for (auto& s : steps) {
    auto r = std::make_shared<Running>();
    r->step = std::move(s);
    r->thread = std::thread([r, bound] {
      r->step.stop(bound);
      r->done.store(true, std::memory_order_release);
    });
    running.push_back(std::move(r));
  }
  const auto give_up = std::chrono::steady_clock::now() + bound + grace;
  FlushOutcome out;
  for (;;) {
    bool all = true;
    for (const auto& r : running) all = all && r->done.load(std::memory_order_acquire);
    if (all) break;
    if (std::chrono::steady_clock::now() >= give_up) {
      out.abandoned = true;
      break;
    }
    // The signals stay blocked: they are taken here, synchronously, every 20 ms at most.
    timespec ts{0, 20'000'000};
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      out.abandoned = true;
      out.signal = sig;
      break;
    }
  }
  if (!out.abandoned) {
    for (auto& r : running) r->thread.join();
    return out;
  }
  for (auto& r : running) {
    if (r->done.load(std::memory_order_acquire)) {
      r->thread.join();
      continue;
    }
    if (!out.unfinished.empty()) out.unfinished += ", ";
    out.unfinished += r->step.name;
    if (r->step.pending) {
      if (std::string p = r->step.pending(); !p.empty()) out.unfinished += " (" + p + ")";
    }
    r->thread.detach();
  }
  return out;
}

}  // namespace loadgen::app
