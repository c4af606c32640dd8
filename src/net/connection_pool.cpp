#include "net/connection_pool.hpp"

#include <algorithm>
#include <cstddef>

#include "core/clock.hpp"
#include "net/connection.hpp"

namespace loadgen::net {

ConnectionStats& ConnectionStats::operator+=(const ConnectionStats& o) {
  opened += o.opened;
  reused += o.reused;
  taken += o.taken;
  returned += o.returned;
  replaced += o.replaced;
  open += o.open;
  peak_open += o.peak_open;
  pooled += o.pooled;
  return *this;
}

ConnectionPool::ConnectionPool(ConnectionCounters& counters) : counters_(counters) {}
ConnectionPool::~ConnectionPool() { clear(); }

void ConnectionPool::set_capacity(std::size_t n) {
  capacity_ = n;
  for (Origin& o : origins_) {
    // The oldest go first, as when a full pool makes room.
    for (std::size_t drop = std::min(size_ - std::min(size_, capacity_), o.idle.size()); drop != 0;
         --drop) {
      o.idle.pop_front();
      --size_;
    }
  }
  publish_size();
}

ConnectionPool::Origin* ConnectionPool::find(std::string_view scheme, std::string_view host,
                                             std::uint16_t port) {
  const bool tls = scheme == "https";
  for (Origin& o : origins_) {
    if (o.port == port && o.tls == tls && o.host == host) return &o;
  }
  return nullptr;
}

std::unique_ptr<Connection> ConnectionPool::take(std::string_view scheme, std::string_view host,
                                                 std::uint16_t port) {
  Origin* o = find(scheme, host, port);
  if (o == nullptr) return nullptr;
  while (!o->idle.empty()) {
    std::unique_ptr<Connection> c = std::move(o->idle.back().conn);
    o->idle.pop_back();
    --size_;
    publish_size();
    if (c->idle_alive()) {
      ConnectionCounters::bump(counters_.taken);
      return c;
    }
    // Closed by the server while pooled (keep-alive timeout, restart): the request opens a new
    // connection instead of failing on this one.
    ConnectionCounters::bump(counters_.replaced);
  }
  return nullptr;
}

void ConnectionPool::give(std::unique_ptr<Connection> c) {
  // Freed (closed) here: a closed one, one with unread bytes (cannot carry a new exchange),
  // or any when there is no pool.
  if (!c || !c->is_open() || c->rpos != c->rlen || capacity_ == 0) return;
  c->release_buffer();  // a pooled connection holds no read buffer
  Origin* o = find(c->tls() ? "https" : "http", c->host(), c->port());
  if (size_ >= capacity_) {
    if (o == nullptr || o->idle.empty()) return;
    o->idle.pop_front();  // the oldest of the origin makes room
    --size_;
  }
  if (o == nullptr) {
    origins_.push_back(Origin{std::string(c->host()), c->port(), c->tls(), {}});
    o = &origins_.back();
  }
  ConnectionCounters::bump(counters_.returned);
  o->idle.push_back(Idle{std::move(c), core::mono_ns()});
  ++size_;
  publish_size();
}

void ConnectionPool::expire(std::int64_t now_ns) {
  if (size_ == 0) return;
  for (Origin& o : origins_) {
    // Oldest first: the front is the longest idle.
    while (!o.idle.empty() && now_ns - o.idle.front().since_ns > max_idle_ns_) {
      o.idle.pop_front();
      --size_;
    }
  }
  publish_size();
}

void ConnectionPool::clear() {
  for (Origin& o : origins_) o.idle.clear();
  size_ = 0;
  publish_size();
}

}  // namespace loadgen::net
