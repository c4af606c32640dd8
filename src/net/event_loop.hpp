// EventLoop: one per worker thread. Runs Asio underneath (kept out of this header) and gives
// simulated users what they wait on: sleeps that can be woken early, and the per-thread
// shared state of their HTTP clients (DNS cache, TLS context, deadline sweep).
// Contract: everything but post() and stop() is called on the loop's own thread.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/connection_pool.hpp"
#include "net/tls.hpp"

namespace loadgen::net {

class LoopImpl;  // event_loop_impl.hpp (Asio), private to the net module

// A sleeping coroutine's slot; owned by whoever sleeps (one per simulated user). While it
// sleeps, the loop's timer heap points at it: the owner must call forget() before destroying
// a Sleeper that may still be queued.
struct Sleeper {
  static constexpr std::uint32_t kNotQueued = 0xFFFFFFFFu;
  std::coroutine_handle<> waiter;
  std::int64_t deadline_ns = 0;
  std::uint32_t heap_index = kNotQueued;
  bool woken_early = false;
};

class EventLoop {
 public:
  EventLoop() : EventLoop(TlsOptions{}) {}
  explicit EventLoop(TlsOptions tls);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs handlers until stop() is called. Call from the owning thread.
  void run();
  // A napping loop (docs/io-backends.md): after a turn that ran fewer than `min_handlers`
  // handlers, the thread sleeps `nap` (never past the earliest sleeper's wake-up) before it
  // waits for more, so that the next turn finds several responses at once (fewer wake-ups per
  // request when the target, not this thread, sets the pace). A response that arrives during
  // a nap is read up to `nap` later; plain-HTTP responses are timed by their kernel receive
  // time stamp, so their latency does not grow (docs/latency.md). Zero (the default): no
  // naps. Set before run().
  void set_nap(std::chrono::nanoseconds nap, std::size_t min_handlers);
  // Thread-safe.
  void stop();
  // Thread-safe: runs fn on the loop's thread.
  void post(std::function<void()> fn);

  // co_await loop.sleep(s, d): resumes after d, or earlier on wake(s). Returns true when woken
  // early.
  struct SleepAwaiter {
    EventLoop* loop;
    Sleeper* sleeper;
    std::int64_t deadline_ns;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    bool await_resume() const noexcept { return sleeper->woken_early; }
  };
  SleepAwaiter sleep(Sleeper& s, std::chrono::nanoseconds d);
  // Wakes a sleeping coroutine now (no-op if it is not sleeping).
  void wake(Sleeper& s);
  // Removes a sleeper from the timer heap without resuming it (its owner is going away).
  void forget(Sleeper& s);
  // fn(delay_ns) runs on the loop's thread every 20 ms with how late the loop's periodic timer
  // fired: the time a ready handler waited for the thread (the loop's delay, cf. Node.js's
  // event-loop delay). Set it before run(), or from the loop's thread.
  void on_delay(std::function<void(std::int64_t)> fn);

  // co_await loop.yield(): resumes from the loop after the handlers already queued when the
  // turn's first yield was made (the turn's yields run together, in order): long work gives
  // the thread's other coroutines, timers and I/O a turn.
  // The loop queues the awaiters themselves (an intrusive list): a yield allocates nothing.
  struct YieldAwaiter {
    LoopImpl* loop;
    std::coroutine_handle<> waiter{};
    YieldAwaiter* next = nullptr;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() const noexcept {}
  };
  YieldAwaiter yield() { return YieldAwaiter{impl_.get()}; }

  // The loop's idle keep-alive connections (connection_pool.hpp). Loop thread.
  ConnectionPool& connection_pool();
  // Thread-safe: the loop's connection counters now.
  ConnectionStats connection_stats() const;

  LoopImpl& impl() { return *impl_; }

 private:
  std::unique_ptr<LoopImpl> impl_;
  std::int64_t nap_ns_ = 0;
  std::size_t nap_min_handlers_ = 0;
};

}  // namespace loadgen::net
