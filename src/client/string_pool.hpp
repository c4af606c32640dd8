// Per-thread pool of byte buffers (std::string) so that steady-state requests do not allocate.
// Private to the client module.
#pragma once

#include <string>
#include <vector>

namespace loadgen::client {

class StringPool {
 public:
  static constexpr std::size_t kMaxPooled = 1024;
  static constexpr std::size_t kMaxCapacity = 256 * 1024;

  static StringPool& local() {
    thread_local StringPool pool;
    return pool;
  }
  std::string take() {
    if (free_.empty()) return {};
    std::string s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void give(std::string&& s) {
    if (s.capacity() == 0) return;
    if (free_.size() >= kMaxPooled || s.capacity() > kMaxCapacity) {
      std::string().swap(s);
      return;
    }
    s.clear();
    free_.push_back(std::move(s));
  }

 private:
  std::vector<std::string> free_;
};

}  // namespace loadgen::client
