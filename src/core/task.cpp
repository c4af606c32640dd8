#include "core/task.hpp"

#include <cstdlib>
#include <new>

namespace loadgen::core {
namespace detail {
namespace {

// Size classes of 64 bytes up to 4 KiB; bigger frames go to malloc.
constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 64;

// Each class keeps at most kKeepBytes of freed frames: enough for steady state (64 KiB was too
// little for the swings of 50 users' request frames: engine_alloc_test), while a burst
// (thousands of users starting at once) hands its memory back to malloc afterwards.
constexpr std::size_t kKeepBytes = 256 * 1024;

struct FreeNode {
  FreeNode* next;
};

struct FramePool {
  FreeNode* heads[kClasses] = {};
  std::size_t counts[kClasses] = {};
  ~FramePool() {
    for (auto*& head : heads) {
      while (head) {
        FreeNode* n = head->next;
        std::free(head);
        head = n;
      }
    }
  }
};

thread_local FramePool pool;

std::size_t size_class(std::size_t n) { return (n + kGranule - 1) / kGranule; }

}  // namespace

void* frame_alloc(std::size_t n) {
  const std::size_t c = size_class(n);
  if (c < kClasses) {
    if (FreeNode* node = pool.heads[c]) {
      pool.heads[c] = node->next;
      --pool.counts[c];
      return node;
    }
    void* p = std::malloc(c * kGranule);
    if (!p) throw std::bad_alloc();
    return p;
  }
  void* p = std::malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}

void frame_free(void* p, std::size_t n) noexcept {
  const std::size_t c = size_class(n);
  if (c < kClasses && pool.counts[c] * c * kGranule < kKeepBytes) {
    auto* node = static_cast<FreeNode*>(p);
    node->next = pool.heads[c];
    pool.heads[c] = node;
    ++pool.counts[c];
    return;
  }
  std::free(p);
}

}  // namespace detail

namespace {

struct Detached {
  struct promise_type : detail::PromiseBase {
    Detached get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

Detached run_detached(Task<void> task, std::function<void(std::exception_ptr)> on_done) {
  std::exception_ptr error;
  try {
    co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
  if (on_done) on_done(error);
}

}  // namespace

void spawn(Task<void> task, std::function<void(std::exception_ptr)> on_done) {
  run_detached(std::move(task), std::move(on_done));
}

}  // namespace loadgen::core
