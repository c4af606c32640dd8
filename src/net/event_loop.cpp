#include "net/event_loop.hpp"

#include <sys/prctl.h>

#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <ctime>
#include <string_view>

#include "core/clock.hpp"
#include "net/event_loop_impl.hpp"

namespace loadgen::net {

namespace {
constexpr std::int64_t kDnsTtlNs = 30'000'000'000;
}

LoopImpl::LoopImpl(TlsOptions tls)
    : tls_(tls),
      // One thread runs all I/O of this context: the reactor needs no locks. post() still
      // comes from other threads, so the scheduler keeps its lock.
      io_(ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      scheduler_(asio::use_service<asio::detail::scheduler>(io_)),
      work_(asio::make_work_guard(io_)),
      timer_(io_),
      sweep_timer_(io_),
      resolver_(io_) {
  arm_sweep();
}

LoopImpl::~LoopImpl() = default;

void LoopImpl::yield(EventLoop::YieldAwaiter& a) {
  a.next = nullptr;
  if (yield_tail_ != nullptr) {
    yield_tail_->next = &a;
  } else {
    yield_head_ = &a;
  }
  yield_tail_ = &a;
  if (!yield_posted_) {
    yield_posted_ = true;
    scheduler_.post_immediate_completion(&yield_op_, false);
  }
}

void LoopImpl::YieldOp::complete(void* owner, asio::detail::scheduler_operation* base,
                                 const asio::error_code&, std::size_t) {
  if (owner != nullptr) static_cast<YieldOp*>(base)->loop.run_yields();
}

void LoopImpl::run_yields() {
  // The awaiters queued so far; one that yields again while they run waits for the next turn
  // (the operation is off the queue now, so it can be posted again).
  EventLoop::YieldAwaiter* a = yield_head_;
  yield_head_ = yield_tail_ = nullptr;
  yield_posted_ = false;
  while (a != nullptr) {
    EventLoop::YieldAwaiter* next = a->next;  // the awaiter ends with its coroutine's resume
    a->waiter.resume();
    a = next;
  }
}

asio::ssl::context& LoopImpl::tls_context() {
  if (!ssl_) {
    ssl_.emplace(asio::ssl::context::tls_client);
    // Bad files were reported by check_tls_options at configuration time; handshakes then
    // fail verification with the TLS library's reason.
    (void)configure_tls(*ssl_, tls_);
  }
  return *ssl_;
}

void LoopImpl::heap_place(std::size_t i, Sleeper* s) {
  sleepers_[i] = s;
  s->heap_index = static_cast<std::uint32_t>(i);
}

void LoopImpl::sift_up(std::size_t i) {
  Sleeper* s = sleepers_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (sleepers_[parent]->deadline_ns <= s->deadline_ns) break;
    heap_place(i, sleepers_[parent]);
    i = parent;
  }
  heap_place(i, s);
}

void LoopImpl::sift_down(std::size_t i) {
  Sleeper* s = sleepers_[i];
  const std::size_t n = sleepers_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && sleepers_[child + 1]->deadline_ns < sleepers_[child]->deadline_ns) ++child;
    if (s->deadline_ns <= sleepers_[child]->deadline_ns) break;
    heap_place(i, sleepers_[child]);
    i = child;
  }
  heap_place(i, s);
}

void LoopImpl::heap_push(Sleeper* s) {
  sleepers_.push_back(s);
  sift_up(sleepers_.size() - 1);
}

void LoopImpl::heap_remove(Sleeper* s) {
  const std::size_t i = s->heap_index;
  if (i == Sleeper::kNotQueued) return;
  s->heap_index = Sleeper::kNotQueued;
  Sleeper* last = sleepers_.back();
  sleepers_.pop_back();
  if (last == s) return;
  heap_place(i, last);
  sift_down(i);
  sift_up(last->heap_index);
}

void LoopImpl::add_sleeper(Sleeper& s, std::int64_t deadline_ns) {
  heap_remove(&s);
  s.deadline_ns = deadline_ns;
  heap_push(&s);
  if (armed_for_ns_ == 0 || deadline_ns < armed_for_ns_) arm_timer();
}

void LoopImpl::wake(Sleeper& s) {
  if (!s.waiter) return;
  heap_remove(&s);
  s.woken_early = true;
  auto h = std::exchange(s.waiter, {});
  // Resume from the loop, never inside the caller's iteration over users.
  asio::post(io_, [h] { h.resume(); });
}

void LoopImpl::forget(Sleeper& s) {
  heap_remove(&s);
  s.waiter = {};
}

void LoopImpl::arm_timer() {
  if (sleepers_.empty()) {
    armed_for_ns_ = 0;
    return;
  }
  const std::int64_t at = sleepers_.front()->deadline_ns;
  if (at == armed_for_ns_) return;
  armed_for_ns_ = at;
  const auto delay = std::chrono::nanoseconds(std::max<std::int64_t>(0, at - core::mono_ns()));
  timer_.expires_after(delay);
  timer_.async_wait(asio::bind_allocator(HandlerAllocator<char>(timer_memory_),
                                         [this](const asio::error_code& ec) {
                                           if (ec == asio::error::operation_aborted) return;
                                           on_timer();
                                         }));
}

void LoopImpl::on_timer() {
  armed_for_ns_ = 0;
  const std::int64_t now = core::mono_ns();
  // Collect first, then resume: a resumed coroutine may add or remove sleepers (on_timer
  // itself only runs from the io_context, never nested).
  ready_.clear();
  while (!sleepers_.empty() && sleepers_.front()->deadline_ns <= now) {
    Sleeper* s = sleepers_.front();
    heap_remove(s);
    s->woken_early = false;
    if (s->waiter) ready_.push_back(std::exchange(s->waiter, {}));
  }
  arm_timer();
  for (std::size_t i = 0; i < ready_.size(); ++i) ready_[i].resume();
  ready_.clear();
}

void LoopImpl::link(DeadlineHook& h) {
  h.prev = nullptr;
  h.next = hooks_;
  if (hooks_) hooks_->prev = &h;
  hooks_ = &h;
}

void LoopImpl::unlink(DeadlineHook& h) {
  if (h.prev)
    h.prev->next = h.next;
  else if (hooks_ == &h)
    hooks_ = h.next;
  if (h.next) h.next->prev = h.prev;
  h.prev = h.next = nullptr;
}

void LoopImpl::arm_sweep() {
  sweep_due_ns_ = core::mono_ns() + kSweepIntervalNs;
  sweep_timer_.expires_after(std::chrono::nanoseconds(kSweepIntervalNs));
  sweep_timer_.async_wait(asio::bind_allocator(
      HandlerAllocator<char>(sweep_memory_), [this](const asio::error_code& ec) {
        if (ec == asio::error::operation_aborted) return;
        if (delay_observer_)
          delay_observer_(std::max<std::int64_t>(0, core::mono_ns() - sweep_due_ns_));
        sweep();
        arm_sweep();
      }));
}

void LoopImpl::sweep() {
  const std::int64_t now = core::mono_ns();
  for (DeadlineHook* h = hooks_; h != nullptr;) {
    DeadlineHook* next = h->next;  // on_deadline only cancels I/O; it never unlinks synchronously
    if (h->deadline_ns != 0 && !h->expired && h->deadline_ns <= now) {
      h->expired = true;
      h->on_deadline();
    }
    h = next;
  }
  pool_.expire(now);
}

const std::vector<asio::ip::tcp::endpoint>* LoopImpl::cached_endpoints(const std::string& host,
                                                                       std::uint16_t port) {
  auto it = dns_.find(host + ':' + std::to_string(port));
  if (it == dns_.end() || it->second.expires_ns < core::mono_ns()) return nullptr;
  return &it->second.endpoints;
}

void LoopImpl::cache_endpoints(const std::string& host, std::uint16_t port,
                               std::vector<asio::ip::tcp::endpoint> eps) {
  dns_[host + ':' + std::to_string(port)] = DnsEntry{std::move(eps), core::mono_ns() + kDnsTtlNs};
}

// ---- EventLoop ----

EventLoop::EventLoop(TlsOptions tls) : impl_(std::make_unique<LoopImpl>(tls)) {}
EventLoop::~EventLoop() = default;

void EventLoop::set_nap(std::chrono::nanoseconds nap, std::size_t min_handlers) {
  nap_ns_ = std::clamp<std::int64_t>(nap.count(), 0, 1'000'000);  // at most 1 ms
  nap_min_handlers_ = min_handlers;
}

void EventLoop::run() {
  asio::io_context& io = impl_->io();
  if (nap_ns_ == 0) {
    io.run();
    return;
  }
  // A nap of a few microseconds is only that short with a small timer slack (the default,
  // 50 us, would stretch it); the slack is the thread's, so it applies to this loop alone.
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  while (!io.stopped()) {
    std::size_t ran = io.run_one();  // waits for the first handler
    if (ran == 0 || io.stopped()) break;
    ran += io.poll();  // and runs what else is ready without waiting
    if (ran < nap_min_handlers_ && !io.stopped()) {
      // Never past a sleeping user's wake-up: a nap ends at the earliest sleeper's deadline.
      std::int64_t nap = nap_ns_;
      // A connect, TLS handshake or TLS read pending: their time is when loadgen sees them.
      if (impl_->unstamped() != 0) nap = std::min(nap, LoopImpl::kUnstampedNapNs);
      if (const std::int64_t due = impl_->next_sleeper_ns(); due != 0)
        nap = std::min(nap, due - core::mono_ns());
      if (nap > 0) {
        const timespec ts{0, static_cast<long>(nap)};
        ::nanosleep(&ts, nullptr);
      }
    }
  }
}
void EventLoop::stop() { impl_->io().stop(); }
void EventLoop::post(std::function<void()> fn) { asio::post(impl_->io(), std::move(fn)); }

EventLoop::SleepAwaiter EventLoop::sleep(Sleeper& s, std::chrono::nanoseconds d) {
  return SleepAwaiter{this, &s, core::mono_ns() + d.count()};
}

void EventLoop::SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  sleeper->waiter = h;
  sleeper->woken_early = false;
  loop->impl().add_sleeper(*sleeper, deadline_ns);
}

void EventLoop::YieldAwaiter::await_suspend(std::coroutine_handle<> h) {
  waiter = h;
  loop->yield(*this);
}

void EventLoop::wake(Sleeper& s) { impl_->wake(s); }
void EventLoop::on_delay(std::function<void(std::int64_t)> fn) {
  impl_->set_delay_observer(std::move(fn));
}
void EventLoop::forget(Sleeper& s) { impl_->forget(s); }
ConnectionPool& EventLoop::connection_pool() { return impl_->connection_pool(); }

ConnectionStats EventLoop::connection_stats() const {
  const ConnectionCounters& c = impl_->connection_counters();
  ConnectionStats s;
  s.opened = c.opened.load(std::memory_order_relaxed);
  s.reused = c.reused.load(std::memory_order_relaxed);
  s.taken = c.taken.load(std::memory_order_relaxed);
  s.returned = c.returned.load(std::memory_order_relaxed);
  s.replaced = c.replaced.load(std::memory_order_relaxed);
  const std::uint64_t closed = c.closed.load(std::memory_order_relaxed);
  s.open = s.opened > closed ? s.opened - closed : 0;
  s.peak_open = c.peak_open.load(std::memory_order_relaxed);
  s.pooled = c.pooled.load(std::memory_order_relaxed);
  return s;
}

}  // namespace loadgen::net
