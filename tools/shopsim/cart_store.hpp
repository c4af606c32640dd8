// In-memory carts by userId, bounded: at most kMaxCarts carts, the least recently used one is
// dropped first. Not thread-safe: the shop handler serializes access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace loadgen::shopsim {

struct CartItem {
  std::string product_id;
  std::int64_t quantity = 0;
};

class CartStore {
 public:
  static constexpr std::size_t kMaxCarts = 100'000;

  explicit CartStore(std::size_t max_carts = kMaxCarts) : max_carts_(max_carts) {}

  // Adds `quantity` of `product_id` to the user's cart (summed with an existing line, as the
  // demo's cart service does) and returns the cart.
  const std::vector<CartItem>& add(const std::string& user_id, const std::string& product_id,
                                   std::int64_t quantity);
  // The user's items; empty if the user has no cart.
  std::vector<CartItem> get(const std::string& user_id);
  void empty(const std::string& user_id);
  void clear();
  std::size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, std::vector<CartItem>>;
  std::size_t max_carts_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace loadgen::shopsim
