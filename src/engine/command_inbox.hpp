// The runner's command inbox: any thread (the signal-handling thread, a web request, a master
// message) posts commands; the runner's driving thread takes them, in the order they were
// posted, and is the only one that touches the engine.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace loadgen::engine {

struct Command {
  enum class Kind {
    kStart,       // move toward `users` at `spawn_rate` (Locust /swarm; the headless start)
    kSetUsers,    // the same while running: a new ramp from the users alive now
    kStop,        // stop every user (graceful within --stop-timeout); the state ends "stopped"
    kKillNow,     // kill the users being stopped now (a second Ctrl-C)
    kResetStats,  // Locust /stats/reset
    kQuit,        // stop, then the driver ends the process
    // A distributed worker's share (Locust's spawn message): the absolute number of users
    // of each scenario class (class_counts, in the scenario's order), reached at once.
    kSetClassCounts,
  };
  Kind kind = Kind::kStop;
  std::int64_t users = 0;                    // kStart, kSetUsers
  double spawn_rate = 1;                     // kStart, kSetUsers: users per second, > 0
  std::vector<std::int64_t> class_counts{};  // kSetClassCounts
};

// Thread-safe: post() from any thread; take() and wait() from the driving thread.
class CommandInbox {
 public:
  void post(Command c) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(c);
    }
    cv_.notify_one();
  }
  // Every command posted so far, oldest first; the inbox is empty afterwards.
  std::vector<Command> take() {
    std::vector<Command> out;
    std::lock_guard lock(mu_);
    out.swap(queue_);
    return out;
  }
  // Waits until a command is queued or `timeout` passes; true when one is queued.
  bool wait(std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return !queue_.empty(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Command> queue_;
};

}  // namespace loadgen::engine
