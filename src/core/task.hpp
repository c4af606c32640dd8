// Task<T>: the lazy C++20 coroutine type simulated users are written in.
// A Task starts when awaited and resumes its awaiter by symmetric transfer; exceptions propagate
// to the awaiter. Coroutine frames come from a per-thread size-class pool, so steady-state
// requests allocate nothing. spawn() starts a detached top-level task (a user's main loop).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

namespace loadgen::core {

namespace detail {
void* frame_alloc(std::size_t n);
void frame_free(void* p, std::size_t n) noexcept;

struct PromiseBase {
  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation_;
    }
    void await_resume() noexcept {}
  };

  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  std::exception_ptr exception_;
};
}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::PromiseBase {
    Task get_return_object() {
      return Task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    template <class U>
    void return_value(U&& v) {
      value_.emplace(std::forward<U>(v));
    }
    std::optional<T> value_;
  };

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation_ = awaiter;
    return h_;
  }
  T await_resume() {
    auto& p = h_.promise();
    if (p.exception_) std::rethrow_exception(p.exception_);
    return std::move(*p.value_);
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  void destroy() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<promise_type> h_;
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : detail::PromiseBase {
    Task get_return_object() {
      return Task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    void return_void() noexcept {}
  };

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation_ = awaiter;
    return h_;
  }
  void await_resume() {
    if (h_.promise().exception_) std::rethrow_exception(h_.promise().exception_);
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  void destroy() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<promise_type> h_;
};

// Starts `task` now, on the calling thread, detached: its frame frees itself when it finishes.
// `on_done` runs when it finishes (with the exception, if one escaped). The caller keeps
// whatever the task refers to alive until on_done runs.
void spawn(Task<void> task, std::function<void(std::exception_ptr)> on_done = {});

}  // namespace loadgen::core
