// Shop routes: answers shaped like the OpenTelemetry Demo frontend's Next.js API routes
// (src/frontend/pages/api/*), validated like the services behind them.
#include "shop.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "catalog.hpp"
#include "core/clock.hpp"

namespace loadgen::shopsim {

namespace {

using nlohmann::json;

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Response rejection(int status, std::string problem, std::string& reason) {
  reason = std::move(problem);
  return json_response(status, {{"error", reason}});
}

// Which route a method and path select; `method_ok` false for a known path with another method.
struct Match {
  Route route = Route::kOther;
  bool known_path = false;
  bool method_ok = false;
  std::string_view allow;
};

Match match(std::string_view method, std::string_view path) {
  const auto one = [&](Route r, std::string_view m) { return Match{r, true, method == m, m}; };
  if (path == "/") return one(Route::kIndex, "GET");
  if (path == "/api/products") return one(Route::kProducts, "GET");
  constexpr std::string_view kProductPrefix = "/api/products/";
  if (path.size() > kProductPrefix.size() &&
      path.substr(0, kProductPrefix.size()) == kProductPrefix &&
      path.find('/', kProductPrefix.size()) == std::string_view::npos) {
    return one(Route::kProduct, "GET");
  }
  if (path == "/api/recommendations") return one(Route::kRecommendations, "GET");
  if (path == "/api/data" || path == "/api/data/") return one(Route::kAds, "GET");
  if (path == "/api/checkout") return one(Route::kCheckout, "POST");
  if (path == "/api/cart") {
    if (method == "GET") return Match{Route::kCartGet, true, true, {}};
    if (method == "POST") return Match{Route::kCartPost, true, true, {}};
    if (method == "DELETE") return Match{Route::kCartDelete, true, true, {}};
    return Match{Route::kOther, true, false, "GET, POST, DELETE"};
  }
  return Match{};
}

// RFC 9110 §8.3: media type "application/json", parameters (charset) allowed.
bool is_json_content_type(std::string_view ct) {
  const std::string_view type = ct.substr(0, ct.find(';'));
  std::string lower;
  for (char c : type) {
    if (c == ' ' || c == '\t') continue;
    lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return lower == "application/json";
}

// The JSON body of a POST/DELETE; sets `reason` and returns a discarded value on failure.
json json_body(const Request& req, std::string& reason) {
  if (!is_json_content_type(req.header("content-type"))) {
    reason = "Content-Type: must be application/json";
    return json(json::value_t::discarded);
  }
  json doc = json::parse(req.body, nullptr, false);
  if (doc.is_discarded()) reason = "body: not valid JSON";
  return doc;
}

// currencyCode query parameter: absent or empty → USD; else a supported code.
bool currency_param(const QueryParams& q, std::string_view& currency, std::string& reason) {
  const auto c = query_value(q, "currencyCode");
  currency = "USD";
  if (!c || c->empty()) return true;
  const auto code = supported_currency(*c);
  if (!code) {
    reason = "currencyCode: unsupported currency " + c->substr(0, 16);
    return false;
  }
  currency = *code;
  return true;
}

// Values of a repeatable parameter, each also split on commas (empty elements dropped).
std::vector<std::string> list_param(const QueryParams& q, std::string_view name) {
  std::vector<std::string> out;
  for (const std::string& v : query_values(q, name)) {
    std::string_view rest = v;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view elem = rest.substr(0, comma);
      if (!elem.empty()) out.emplace_back(elem);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

YearMonth current_year_month() {
  const auto now = static_cast<std::time_t>(core::wall_ns() / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return YearMonth{tm.tm_year + 1900, tm.tm_mon + 1};
}

constexpr std::string_view kIndexHtml =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Astronomy Shop (shopsim)</title></head>\n<body><h1>Astronomy Shop</h1>"
    "<p>A stand-in for the OpenTelemetry Demo frontend, served by shopsim.</p>"
    "<p><a href=\"/api/products\">Products</a></p></body></html>\n";

}  // namespace

Shop::Shop(RouteKnobTable knobs, std::uint64_t seed) : knobs_(knobs), rng_(seed) {}

Response Shop::handle(const Request& req) {
  if (req.path.size() >= 3 && req.path.compare(0, 3, "/__") == 0) return admin(req);

  std::lock_guard lock(mu_);
  stats_.record_headers(req.headers_named("traceparent"), req.headers_named("baggage"));
  const Match m = match(req.method, req.path);
  const Route route = m.method_ok ? m.route : Route::kOther;
  stats_.record_request(route);
  std::string reason;
  Response resp;
  if (!m.known_path) {
    resp = rejection(404, "path: no route " + req.path.substr(0, 128), reason);
  } else if (!m.method_ok) {
    resp = rejection(405, "method: " + req.method.substr(0, 16) + " not allowed on " + req.path,
                     reason);
    resp.allow = std::string(m.allow);
  }
  if (!reason.empty()) {
    stats_.record_rejection(route, resp.status, req.method, req.target, reason, req.body);
    return resp;
  }

  const RouteKnobs& knobs = knobs_[static_cast<std::size_t>(route)];
  if (knobs.error_rate > 0 &&
      std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < knobs.error_rate) {
    stats_.record_injected_error(route);
    resp = json_response(500, {{"error", "injected error (--error-rate)"}});
    resp.delay = knobs.latency;
    return resp;
  }

  const auto q = parse_query(req.query);
  if (!q) {
    resp = rejection(400, "query: malformed percent-encoding", reason);
  } else {
    switch (route) {
      case Route::kIndex:
        resp = index();
        break;
      case Route::kProducts:
        resp = list_products(*q, reason);
        break;
      case Route::kProduct:
        resp = get_product(req.path, *q, reason);
        break;
      case Route::kRecommendations:
        resp = recommendations(*q, reason);
        break;
      case Route::kAds:
        resp = ads(*q, reason);
        break;
      case Route::kCartGet:
        resp = cart_get(*q, reason);
        break;
      case Route::kCartPost:
        resp = cart_post(req, *q, reason);
        break;
      case Route::kCartDelete:
        resp = cart_delete(req, reason);
        break;
      case Route::kCheckout:
        resp = checkout(req, *q, reason);
        break;
      case Route::kOther:
        break;
    }
  }
  if (resp.status >= 400 && resp.status < 500) {
    stats_.record_rejection(route, resp.status, req.method, req.target, reason, req.body);
  }
  resp.delay = knobs.latency;
  return resp;
}

Response Shop::index() {
  Response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = kIndexHtml;
  return r;
}

Response Shop::list_products(const QueryParams& q, std::string& reason) {
  std::string_view currency;
  if (!currency_param(q, currency, reason)) return rejection(400, reason, reason);
  json list = json::array();
  for (const Product& p : products()) list.push_back(to_json(p, currency));
  return json_response(200, list);
}

Response Shop::get_product(const std::string& path, const QueryParams& q, std::string& reason) {
  std::string_view currency;
  if (!currency_param(q, currency, reason)) return rejection(400, reason, reason);
  const auto id = percent_decode(std::string_view(path).substr(path.rfind('/') + 1), false);
  if (!id) return rejection(400, "id: malformed percent-encoding", reason);
  const Product* p = find_product(*id);
  if (p == nullptr) return rejection(404, "id: unknown product " + id->substr(0, 32), reason);
  return json_response(200, to_json(*p, currency));
}

Response Shop::recommendations(const QueryParams& q, std::string& reason) {
  std::string_view currency;
  if (!currency_param(q, currency, reason)) return rejection(400, reason, reason);
  const std::vector<std::string> ids = list_param(q, "productIds");
  if (ids.empty()) return rejection(400, "productIds: missing", reason);
  for (const std::string& id : ids) {
    if (find_product(id) == nullptr) {
      return rejection(400, "productIds: unknown product " + id.substr(0, 32), reason);
    }
  }
  std::vector<const Product*> candidates;
  for (const Product& p : products()) {
    if (std::find(ids.begin(), ids.end(), p.id) == ids.end()) candidates.push_back(&p);
  }
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  if (candidates.size() > 4) candidates.resize(4);
  json list = json::array();
  for (const Product* p : candidates) list.push_back(to_json(*p, currency));
  return json_response(200, list);
}

Response Shop::ads(const QueryParams& q, std::string& /*reason*/) {
  // The ad service answers random ads for keys it does not know (and for "None"), never 4xx.
  json list = json::array();
  for (const std::string& key : list_param(q, "contextKeys")) {
    for (const Ad& ad : ads_for(key)) {
      list.push_back({{"redirectUrl", ad.redirect_url}, {"text", ad.text}});
    }
  }
  if (list.empty()) {
    for (const Ad& ad : generic_ads()) {
      list.push_back({{"redirectUrl", ad.redirect_url}, {"text", ad.text}});
    }
  }
  return json_response(200, list);
}

json Shop::cart_json(const std::string& user_id, std::string_view currency) {
  json items = json::array();
  for (const CartItem& item : carts_.get(user_id)) {
    const Product* p = find_product(item.product_id);
    items.push_back({{"productId", item.product_id},
                     {"quantity", item.quantity},
                     {"product", p != nullptr ? to_json(*p, currency) : json()}});
  }
  return {{"userId", user_id}, {"items", std::move(items)}};
}

Response Shop::cart_get(const QueryParams& q, std::string& reason) {
  std::string_view currency;
  if (!currency_param(q, currency, reason)) return rejection(400, reason, reason);
  return json_response(200, cart_json(query_value(q, "sessionId").value_or(""), currency));
}

Response Shop::cart_post(const Request& req, const QueryParams& q, std::string& reason) {
  std::string_view currency;
  if (!currency_param(q, currency, reason)) return rejection(400, reason, reason);
  const json body = json_body(req, reason);
  if (body.is_discarded()) return rejection(400, reason, reason);
  AddToCart add;
  if (Problem p = validate_add_to_cart(body, add); !p.empty()) return rejection(400, p, reason);
  carts_.add(add.user_id, add.product_id, add.quantity);
  return json_response(200, cart_json(add.user_id, currency));
}

Response Shop::cart_delete(const Request& req, std::string& reason) {
  const json body = json_body(req, reason);
  if (body.is_discarded()) return rejection(400, reason, reason);
  std::string user_id;
  if (Problem p = validate_user_id_body(body, user_id); !p.empty()) {
    return rejection(400, p, reason);
  }
  carts_.empty(user_id);
  Response r;
  r.status = 204;
  return r;
}

Response Shop::checkout(const Request& req, const QueryParams& q, std::string& reason) {
  std::string_view currency;
  if (!currency_param(q, currency, reason)) return rejection(400, reason, reason);
  const json body = json_body(req, reason);
  if (body.is_discarded()) return rejection(400, reason, reason);
  CheckoutRequest order;
  if (Problem p = validate_checkout(body, current_year_month(), order); !p.empty()) {
    return rejection(400, p, reason);
  }
  // The frontend passes the query's currencyCode as the order currency when given.
  if (query_value(q, "currencyCode").value_or("").empty()) {
    currency = *supported_currency(order.user_currency);  // validated above
  }
  const std::vector<CartItem> items = carts_.get(order.user_id);
  if (items.empty()) {
    return rejection(400, "userId: cart is empty (the demo's checkout fails without items)",
                     reason);
  }
  json lines = json::array();
  std::int64_t count = 0;
  for (const CartItem& item : items) {
    const Product* p = find_product(item.product_id);
    if (p == nullptr) continue;
    count += item.quantity;
    lines.push_back({{"cost", to_json(convert(p->price_usd, currency))},
                     {"item", {{"productId", item.product_id}, {"quantity", item.quantity}}}});
  }
  // Shipping: a flat 8.99 USD plus 0.50 USD per item after the first (our own rule).
  const Money shipping_usd =
      add(Money{"USD", 8, 990'000'000}, multiply(Money{"USD", 0, 500'000'000}, count - 1));
  std::uniform_int_distribution<int> digit(0, 9);
  std::string tracking = "SS-";
  for (int i = 0; i < 10; ++i) tracking.push_back(static_cast<char>('0' + digit(rng_)));
  carts_.empty(order.user_id);
  return json_response(200, {{"orderId", uuid4()},
                             {"shippingTrackingId", tracking},
                             {"shippingCost", to_json(convert(shipping_usd, currency))},
                             {"shippingAddress", order.address},
                             {"items", std::move(lines)}});
}

std::string Shop::uuid4() {
  // RFC 9562 §5.4: version 4, variant 10.
  std::uint64_t hi = rng_();
  std::uint64_t lo = rng_();
  hi = (hi & ~std::uint64_t{0xf000}) | 0x4000;
  lo = (lo & ~(std::uint64_t{3} << 62)) | (std::uint64_t{2} << 62);
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

Response Shop::admin(const Request& req) {
  std::lock_guard lock(mu_);
  const auto only = [&req](std::string_view method) { return req.method == method; };
  if (req.path == "/__stats" && only("GET")) return json_response(200, stats_.stats_json());
  if (req.path == "/__trace_ids" && only("GET")) return json_response(200, stats_.trace_ids_json());
  if (req.path == "/__last_rejections" && only("GET")) {
    return json_response(200, stats_.rejections_json());
  }
  if (req.path == "/__reset" && only("POST")) {
    stats_.reset();
    carts_.clear();
    return json_response(200, {{"reset", true}});
  }
  if (req.path == "/__stats" || req.path == "/__trace_ids" || req.path == "/__last_rejections" ||
      req.path == "/__reset") {
    return json_response(405, {{"error", "wrong method"}});
  }
  return json_response(404, {{"error", "no admin endpoint " + req.path.substr(0, 64)}});
}

}  // namespace loadgen::shopsim
