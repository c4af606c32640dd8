// Private to the net module: the Asio side of EventLoop. Includes Asio; include it only
// from net .cpp files.
#pragma once

#include <asio/bind_allocator.hpp>
#include <asio/detail/scheduler.hpp>
#include <asio/detail/scheduler_operation.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/connection_pool.hpp"
#include "net/event_loop.hpp"

namespace loadgen::net {

class Connection;

// Applies `tls` to a fresh client context; returns what failed, or "" (tls.cpp).
std::string configure_tls(asio::ssl::context& ctx, const TlsOptions& tls);

// A connection with an operation in flight registers here; the loop's sweep closes those whose
// deadline passed (cheaper than arming a timer per request; precision is kSweepInterval).
struct DeadlineHook {
  DeadlineHook* prev = nullptr;
  DeadlineHook* next = nullptr;
  std::int64_t deadline_ns = 0;  // 0 = none
  bool expired = false;
  virtual void on_deadline() = 0;  // called once when the deadline passes
 protected:
  ~DeadlineHook() = default;
};

// Memory of its own for the handlers of one timer that is re-armed all the time (the sweep,
// the sleepers'): two slots, as an operation can still be pending when the timer is armed
// again; bigger or more go to the heap. Handed to Asio as the handlers' associated allocator,
// so such a timer takes nothing from malloc or from Asio's small per-thread cache (which a
// worker's steady state leaves to the requests). Loop thread.
class HandlerMemory {
 public:
  void* allocate(std::size_t n) {
    if (n <= kSize) {
      for (auto& slot : slots_) {
        if (!slot.used) {
          slot.used = true;
          return slot.bytes;
        }
      }
    }
    return ::operator new(n);
  }
  void deallocate(void* p) {
    for (auto& slot : slots_) {
      if (p == slot.bytes) {
        slot.used = false;
        return;
      }
    }
    ::operator delete(p);
  }

 private:
  static constexpr std::size_t kSize = 256;
  struct Slot {
    alignas(std::max_align_t) unsigned char bytes[kSize];
    bool used = false;
  };
  Slot slots_[2];
};

template <class T>
struct HandlerAllocator {
  using value_type = T;
  explicit HandlerAllocator(HandlerMemory& m) : memory(&m) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U>& o) : memory(o.memory) {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return static_cast<T*>(memory->allocate(sizeof(T) * n)); }
  void deallocate(T* p, std::size_t) { memory->deallocate(p); }
  template <class U>
  bool operator==(const HandlerAllocator<U>& o) const {
    return memory == o.memory;
  }
  HandlerMemory* memory;
};

class LoopImpl {
 public:
  static constexpr std::int64_t kSweepIntervalNs = 20'000'000;  // 20 ms

  explicit LoopImpl(TlsOptions tls);
  ~LoopImpl();

  asio::io_context& io() { return io_; }
  asio::ssl::context& tls_context();
  bool tls_verify() const { return tls_.verify; }

  void add_sleeper(Sleeper& s, std::int64_t deadline_ns);
  // The earliest sleeper's deadline (monotonic ns); 0: none sleeps.
  std::int64_t next_sleeper_ns() const {
    return sleepers_.empty() ? 0 : sleepers_.front()->deadline_ns;
  }
  void wake(Sleeper& s);
  void forget(Sleeper& s);

  void link(DeadlineHook& h);
  void unlink(DeadlineHook& h);

  // DNS cache (per loop, 30 s). nullptr when unknown or stale.
  const std::vector<asio::ip::tcp::endpoint>* cached_endpoints(const std::string& host,
                                                               std::uint16_t port);
  void cache_endpoints(const std::string& host, std::uint16_t port,
                       std::vector<asio::ip::tcp::endpoint> eps);
  asio::ip::tcp::resolver& resolver() { return resolver_; }
  void set_delay_observer(std::function<void(std::int64_t)> fn) { delay_observer_ = std::move(fn); }
  // co_await loop.yield(): queues the awaiter; one operation on the io_context's queue
  // resumes every awaiter queued before it ran, in order.
  void yield(EventLoop::YieldAwaiter& a);
  // Waits whose end no kernel receive time stamp records (a connect, a TLS handshake or read):
  // counted from their start to their completion handler. While any is pending the loop naps
  // at most kUnstampedNapNs, since their time is taken when loadgen sees the completion.
  static constexpr std::int64_t kUnstampedNapNs = 20'000;
  void begin_unstamped() { ++unstamped_; }
  void end_unstamped() { --unstamped_; }
  std::size_t unstamped() const { return unstamped_; }
  ConnectionCounters& connection_counters() { return counters_; }
  ConnectionPool& connection_pool() { return pool_; }

 private:
  // Indexed binary min-heap of sleepers by deadline: each Sleeper knows its slot, so an early
  // wake removes it in O(log n) and nothing stale is left behind.
  void heap_push(Sleeper* s);
  void heap_remove(Sleeper* s);
  void heap_place(std::size_t i, Sleeper* s);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void arm_timer();
  void on_timer();
  void arm_sweep();
  void sweep();

  // The yields' operation: posted when the first awaiter is queued. Declared before io_, so
  // it outlives the io_context's shutdown, which destroys what is still queued (its complete
  // then sees no owner and resumes nothing).
  struct YieldOp final : asio::detail::scheduler_operation {
    explicit YieldOp(LoopImpl& l) : scheduler_operation(&complete), loop(l) {}
    static void complete(void* owner, asio::detail::scheduler_operation* base,
                         const asio::error_code&, std::size_t);
    LoopImpl& loop;
  };
  void run_yields();

  TlsOptions tls_;
  std::size_t unstamped_ = 0;
  YieldOp yield_op_{*this};
  bool yield_posted_ = false;
  EventLoop::YieldAwaiter* yield_head_ = nullptr;
  EventLoop::YieldAwaiter* yield_tail_ = nullptr;
  // The timers' handler memory: also before io_, whose shutdown frees pending handlers.
  HandlerMemory timer_memory_;
  HandlerMemory sweep_memory_;
  asio::io_context io_;
  asio::detail::scheduler& scheduler_;  // io_'s
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer timer_;
  std::int64_t armed_for_ns_ = 0;  // 0 = not armed
  std::vector<Sleeper*> sleepers_;
  std::vector<std::coroutine_handle<>> ready_;  // reused by on_timer
  asio::steady_timer sweep_timer_;
  std::int64_t sweep_due_ns_ =
      0;  // when the sweep timer should fire: its lateness is the loop's delay
  DeadlineHook* hooks_ = nullptr;
  std::optional<asio::ssl::context> ssl_;
  asio::ip::tcp::resolver resolver_;
  struct DnsEntry {
    std::vector<asio::ip::tcp::endpoint> endpoints;
    std::int64_t expires_ns;
  };
  std::unordered_map<std::string, DnsEntry> dns_;
  std::function<void(std::int64_t)> delay_observer_;
  ConnectionCounters counters_;
  // Last: its connections go before the io_context and the deadline list they are linked to.
  ConnectionPool pool_{counters_};
};

}  // namespace loadgen::net
