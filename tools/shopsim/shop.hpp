// The Astronomy Shop frontend stand-in: the demo frontend's API routes (/, /api/products,
// /api/products/{id}, /api/recommendations, /api/data, /api/cart, /api/checkout) with
// validation, per-route latency and injected errors, trace-header counting, and the admin
// endpoints (/__stats, /__trace_ids, /__reset, /__last_rejections). Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "admin_stats.hpp"
#include "cart_store.hpp"
#include "query.hpp"
#include "routes_table.hpp"
#include "server/message.hpp"
#include "validation.hpp"

namespace loadgen::shopsim {

using server::Request;
using server::Response;

class Shop {
 public:
  Shop(RouteKnobTable knobs, std::uint64_t seed);

  // The shop port's handler.
  Response handle(const Request& req);

 private:
  // Each handler runs under mu_; on a 4xx it sets `reason` ("<field>: <why>").
  Response index();
  Response list_products(const QueryParams& q, std::string& reason);
  Response get_product(const std::string& path, const QueryParams& q, std::string& reason);
  Response recommendations(const QueryParams& q, std::string& reason);
  Response ads(const QueryParams& q, std::string& reason);
  Response cart_get(const QueryParams& q, std::string& reason);
  Response cart_post(const Request& req, const QueryParams& q, std::string& reason);
  Response cart_delete(const Request& req, std::string& reason);
  Response checkout(const Request& req, const QueryParams& q, std::string& reason);
  Response admin(const Request& req);

  std::string uuid4();
  nlohmann::json cart_json(const std::string& user_id, std::string_view currency);

  std::mutex mu_;
  RouteKnobTable knobs_;
  std::mt19937_64 rng_;
  AdminStats stats_;
  CartStore carts_;
};

}  // namespace loadgen::shopsim
