// run_on_loop: runs one coroutine on a net::EventLoop on the calling thread until it
// finishes, bounded by a watchdog that stops the loop after `limit`. Shared by the client,
// scenario and engine unit tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "core/task.hpp"
#include "net/event_loop.hpp"

namespace loadgen::testing {

// Returns true when the coroutine finished; rethrows what escaped it. `make()` builds the
// task; it and everything the task refers to must outlive this call. Handlers posted to the
// loop before the call run after the coroutine's first suspension.
template <class MakeTask>
bool run_on_loop(net::EventLoop& loop, MakeTask&& make,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  std::exception_ptr error;
  bool done = false;
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::thread watchdog([&] {
    std::unique_lock lk(m);
    if (!cv.wait_for(lk, limit, [&] { return finished; })) loop.stop();
  });
  core::spawn(make(), [&](std::exception_ptr e) {
    error = e;
    done = true;
    loop.stop();
  });
  if (!done) loop.run();
  {
    std::lock_guard lk(m);
    finished = true;
  }
  cv.notify_all();
  watchdog.join();
  if (error) std::rethrow_exception(error);
  return done;
}

}  // namespace loadgen::testing
