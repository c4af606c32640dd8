// RingDeque: a double-ended queue in one growable circular array, for net::ConnectionPool's idle
// connections per origin: push and pop at the back (LIFO reuse) and pop at the front (the oldest
// dropped by expiry or a full pool) are O(1), and none allocates once the array has grown to the
// largest size seen (std::deque allocates and frees a block whenever its ends cross a block
// boundary; a vector drops its front in O(size)).
// Thread: none of its own (the owner's).
#pragma once

#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

namespace loadgen::net {

// T: default-constructible and movable; a popped or cleared slot is reset to T{} at once (a
// T that owns something, such as a connection, releases it then, not when the slot is reused).
template <class T>
class RingDeque {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

  T& front() {
    assert(size_ != 0);
    return slots_[head_];
  }
  T& back() {
    assert(size_ != 0);
    return slots_[(head_ + size_ - 1) & mask()];
  }

  void push_back(T v) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & mask()] = std::move(v);
    ++size_;
  }
  void pop_back() {
    assert(size_ != 0);
    slots_[(head_ + size_ - 1) & mask()] = T{};
    --size_;
  }
  void pop_front() {
    assert(size_ != 0);
    slots_[head_] = T{};
    head_ = (head_ + 1) & mask();
    --size_;
  }
  // Keeps the array (no allocation when it fills again).
  void clear() {
    while (size_ != 0) pop_front();
    head_ = 0;
  }

 private:
  static constexpr std::size_t kFirstCapacity = 8;  // a power of two, like every capacity
  std::size_t mask() const { return slots_.size() - 1; }
  // Doubles the array, moving the elements to its start in order (oldest first).
  void grow() {
    std::vector<T> bigger(slots_.empty() ? kFirstCapacity : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[(head_ + i) & mask()]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;  // size: 0 or a power of two
  std::size_t head_ = 0;  // the front's slot
  std::size_t size_ = 0;
};

}  // namespace loadgen::net
