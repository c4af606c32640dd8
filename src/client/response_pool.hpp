// Per-thread pool of Response::Buffers (a request's strings, taken and given back as one
// block) so that steady-state requests do not allocate. Private to the client module.
#pragma once

#include <string>
#include <vector>

#include "client/response.hpp"
#include "client/string_pool.hpp"

namespace loadgen::client {

// The thread's free Buffers. Bounded like StringPool: a Buffers whose strings grew past
// kMaxCapacity (a big body) gives those back to the heap, and the pool keeps at most
// kMaxPooled blocks and kMaxPooledBytes of string capacity in all.
class ResponseBuffersPool {
 public:
  static constexpr std::size_t kMaxPooled = 1024;
  static constexpr std::size_t kMaxCapacity = StringPool::kMaxCapacity;
  static constexpr std::size_t kMaxPooledBytes = StringPool::kMaxPooledBytes;

  static ResponseBuffersPool& local() {
    thread_local ResponseBuffersPool pool;
    return pool;
  }
  ResponseBuffersPool() { free_.reserve(kMaxPooled); }
  ResponseBuffersPool(const ResponseBuffersPool&) = delete;
  ResponseBuffersPool& operator=(const ResponseBuffersPool&) = delete;
  ~ResponseBuffersPool() {
    for (Response::Buffers* b : free_) delete b;
  }

  Response::Buffers* take() {
    if (free_.empty()) return new Response::Buffers;
    Response::Buffers* b = free_.back();
    free_.pop_back();
    bytes_ -= capacity(*b);
    return b;
  }
  std::size_t pooled() const { return free_.size(); }
  std::size_t pooled_bytes() const { return bytes_; }

  void give(Response::Buffers* b) {
    std::size_t total = 0;
    for (std::string* s : {&b->name, &b->url, &b->error, &b->head, &b->body, &b->request}) {
      if (s->capacity() > kMaxCapacity) {
        std::string().swap(*s);
      } else {
        s->clear();
      }
      total += s->capacity();
    }
    if (free_.size() >= kMaxPooled || bytes_ + total > kMaxPooledBytes) {
      delete b;
      return;
    }
    bytes_ += total;
    free_.push_back(b);
  }

 private:
  static std::size_t capacity(const Response::Buffers& b) {
    return b.name.capacity() + b.url.capacity() + b.error.capacity() + b.head.capacity() +
           b.body.capacity() + b.request.capacity();
  }

  std::vector<Response::Buffers*> free_;
  std::size_t bytes_ = 0;
};

}  // namespace loadgen::client
