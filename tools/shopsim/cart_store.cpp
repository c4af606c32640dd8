// LRU-bounded cart storage.
#include "cart_store.hpp"

namespace loadgen::shopsim {

const std::vector<CartItem>& CartStore::add(const std::string& user_id,
                                            const std::string& product_id, std::int64_t quantity) {
  auto it = index_.find(user_id);
  if (it == index_.end()) {
    if (index_.size() >= max_carts_ && !lru_.empty()) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    lru_.emplace_front(user_id, std::vector<CartItem>{});
    it = index_.emplace(user_id, lru_.begin()).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second);
  }
  std::vector<CartItem>& items = it->second->second;
  for (CartItem& item : items) {
    if (item.product_id == product_id) {
      item.quantity += quantity;
      return items;
    }
  }
  items.push_back(CartItem{product_id, quantity});
  return items;
}

std::vector<CartItem> CartStore::get(const std::string& user_id) {
  const auto it = index_.find(user_id);
  if (it == index_.end()) return {};
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void CartStore::empty(const std::string& user_id) {
  const auto it = index_.find(user_id);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

void CartStore::clear() {
  lru_.clear();
  index_.clear();
}

}  // namespace loadgen::shopsim
