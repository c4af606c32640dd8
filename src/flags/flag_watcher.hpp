// FlagWatcher: polls one integer flag over OFREP once a second on a thread of its own, for a
// process that has no engine worker to do it: the master of a distributed run evaluates the
// users flag (loadGeneratorVUs) and sets the run's user count from it (docs/distributed.md).
// Thread-safe: value() from any thread. Untraced (the master sends no user request).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/log_sink.hpp"
#include "flags/ofrep_config.hpp"

namespace loadgen::flags {

class FlagWatcher {
 public:
  // Starts polling `key` (first evaluation at once). `log` may be null.
  FlagWatcher(OfrepConfig cfg, std::string key, core::LogSink* log);
  ~FlagWatcher();  // stops the thread
  FlagWatcher(const FlagWatcher&) = delete;
  FlagWatcher& operator=(const FlagWatcher&) = delete;

  // The latest value (0 until the first answer, and when flagd has no such flag).
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }
  // Evaluations done so far.
  std::uint64_t polls() const { return polls_.load(std::memory_order_relaxed); }
  const std::string& key() const { return key_; }

  struct State;  // the loop thread's (flag_watcher.cpp)

 private:
  std::string key_;
  std::atomic<std::int64_t> value_{0};
  std::atomic<std::uint64_t> polls_{0};
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace loadgen::flags
