// Per-thread pool of byte buffers (std::string) so that steady-state requests do not allocate.
// Private to the client module.
#pragma once

#include <string>
#include <vector>

namespace loadgen::client {

class StringPool {
 public:
  static constexpr std::size_t kMaxPooled = 1024;
  static constexpr std::size_t kMaxCapacity = 64 * 1024;  // larger buffers are freed
  // What one thread's pool may hold in all. Without it, buffers that grew (a big response, an
  // exporter's request) would accumulate: every pooled string can end up at kMaxCapacity.
  static constexpr std::size_t kMaxPooledBytes = 4 * 1024 * 1024;

  static StringPool& local() {
    thread_local StringPool pool;
    return pool;
  }
  // Room for kMaxPooled strings (32 KiB) from the start: give() never allocates.
  StringPool() { free_.reserve(kMaxPooled); }
  std::string take() {
    if (free_.empty()) return {};
    std::string s = std::move(free_.back());
    free_.pop_back();
    bytes_ -= s.capacity();
    return s;
  }
  // Inline: most calls get a moved-from string (a Response's fields after a move).
  void give(std::string&& s) {
    // Strings in their small-string buffer own no heap memory: nothing to keep (this is also
    // what a moved-from string looks like).
    if (s.capacity() > kInlineCapacity) keep(s);
  }
  std::size_t pooled_bytes() const { return bytes_; }
  std::size_t pooled() const { return free_.size(); }

 private:
  static inline const std::size_t kInlineCapacity = std::string().capacity();

  void keep(std::string& s) {
    if (free_.size() >= kMaxPooled || s.capacity() > kMaxCapacity ||
        bytes_ + s.capacity() > kMaxPooledBytes) {
      std::string().swap(s);
      return;
    }
    s.clear();
    bytes_ += s.capacity();
    free_.push_back(std::move(s));
  }

  std::vector<std::string> free_;
  std::size_t bytes_ = 0;
};

}  // namespace loadgen::client
