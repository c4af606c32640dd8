// Cancelled: thrown at a suspension point of a simulated user that is being killed
// (the C++ analogue of gevent's GreenletExit in Locust). Unwinds the user's coroutines
// on its own worker thread; never crosses a thread.
#pragma once

#include <exception>

namespace loadgen::core {

struct Cancelled : std::exception {
  const char* what() const noexcept override { return "user stopped"; }
};

}  // namespace loadgen::core
