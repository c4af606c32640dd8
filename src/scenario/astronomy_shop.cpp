// The Astronomy Shop scenario: the OpenTelemetry Demo load generator's WebsiteUser, task for
// task (see ../shared/reference/demo.md). Request names are the URLs as Locust shows them
// (path and query, no grouping). Each task opens the span the demo opens for it (user_index,
// user_browse_product, ...) with the same attributes; its requests are child CLIENT spans.
#include "scenario/astronomy_shop.hpp"

#include <fmt/format.h>

#include <array>
#include <memory>

#include "core/uuid.hpp"

namespace loadgen::scenario {

namespace {

constexpr std::array<std::string_view, 10> kProducts = {
    "0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
    "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z", "HQTGWGPNH4"};
// The demo draws from these and Python's None, which goes on the wire as "None".
constexpr std::array<std::string_view, 7> kAdCategories = {
    "binoculars", "telescopes", "accessories", "assembly", "travel", "books", "None"};
constexpr std::array<int, 6> kQuantities = {1, 2, 3, 4, 5, 10};
// No task reads a response body (as in the demo's locustfile): each streams away as it arrives.
constexpr client::RequestOptions kDiscard{.response_body = client::ResponseBody::kDiscard};

class WebsiteUser final : public User {
 public:
  explicit WebsiteUser(std::shared_ptr<const ShopSettings> s) : s_(std::move(s)) {}

  // on_start: the index task (the demo's user_session_start). The user's session.id (a new
  // UUID per user, in every request's baggage) comes from User. Task spans are roots of traces
  // of their own unless LOADGEN_TRACE_NESTING=nested (User::start_task_span): user_index is
  // then a child of user_session_start, user_add_to_cart of the checkout span.
  core::Task<> on_start() override {
    auto span = start_task_span("user_session_start");
    log_info("Starting user session: {}", session_id());
    co_await index();
  }

  // The traffic gate (loadGeneratorTraffic) is evaluated inside each task's span, so its
  // feature_flag.evaluation event and any flagd request belong to the task's trace.
  core::Task<> index() {
    auto span = start_task_span("user_index");
    co_await traffic_gate(span);
    log_info("User accessing index page");
    co_await client().get("/", kDiscard);
  }

  core::Task<> browse_product() {
    auto span = start_task_span("user_browse_product");
    co_await traffic_gate(span);
    const std::string_view product = pick(kProducts);
    span.set("product.id", product);
    log_info("User browsing product: {}", product);
    co_await client().get(fmt::format("/api/products/{}", product), kDiscard);
  }

  core::Task<> get_recommendations() {
    auto span = start_task_span("user_get_recommendations");
    co_await traffic_gate(span);
    const std::string_view product = pick(kProducts);
    span.set("product.id", product);
    log_info("User getting recommendations for product: {}", product);
    co_await client().get(fmt::format("/api/recommendations?productIds={}", product), kDiscard);
  }

  core::Task<> get_ads() {
    auto span = start_task_span("user_get_ads");
    co_await traffic_gate(span);
    const std::string_view category = pick(kAdCategories);
    span.set("category", category);
    log_info("User getting ads for category: {}", category);
    co_await client().get(fmt::format("/api/data/?contextKeys={}", category), kDiscard);
  }

  core::Task<> view_cart() {
    auto span = start_task_span("user_view_cart");
    co_await traffic_gate(span);
    log_info("User viewing cart");
    co_await client().get("/api/cart", kDiscard);
  }

  // As a task: a fresh user id each time (the demo's add_to_cart(user="")).
  core::Task<> add_to_cart_task() { co_await add_to_cart(core::uuid4(rng()), true); }

  // gate: evaluate the traffic gate (as a task); inside a checkout the checkout's gate holds.
  core::Task<> add_to_cart(std::string user, bool gate = false) {
    auto span = start_task_span("user_add_to_cart");
    if (gate) co_await traffic_gate(span);
    const std::string_view product = pick(kProducts);
    const int quantity = pick(kQuantities);
    span.set("user.id", user).set("product.id", product).set("quantity", quantity);
    log_info("User {} adding {} of product {} to cart", user, quantity, product);
    co_await client().get(fmt::format("/api/products/{}", product), kDiscard);
    const std::string body = fmt::format(
        R"({{"item":{{"productId":"{}","quantity":{}}},"userId":"{}"}})", product, quantity, user);
    co_await client().post("/api/cart",
                           {.json = body, .response_body = client::ResponseBody::kDiscard});
  }

  core::Task<> checkout_single() {
    auto span = start_task_span("user_checkout_single");
    co_await traffic_gate(span);
    const std::string user = core::uuid4(rng());
    span.set("user.id", user);
    co_await add_to_cart(user);
    co_await checkout(user);
    log_info("Checkout completed for user {}", user);
  }

  core::Task<> checkout_multi() {
    auto span = start_task_span("user_checkout_multi");
    co_await traffic_gate(span);
    const std::string user = core::uuid4(rng());
    const auto items = 2 + static_cast<int>(rng().below(3));  // 2, 3 or 4
    span.set("user.id", user).set("item.count", items);
    for (int i = 0; i < items; ++i) co_await add_to_cart(user);
    co_await checkout(user);
    log_info("Multi-item checkout completed for user {}", user);
  }

  // The demo opens user_flood_home only when it floods; we open it always, so that the flag
  // evaluations of every run of the task belong to a trace (flood.count is then 0).
  core::Task<> flood_home() {
    auto span = start_task_span("user_flood_home");
    co_await traffic_gate(span);
    const std::int64_t count = co_await flags().int_value(kFloodFlag, 0);
    span.set("flood.count", count);
    if (count <= 0) co_return;
    log_info("User flooding homepage {} times", count);
    for (std::int64_t i = 0; i < count && !stopping(); ++i) co_await client().get("/", kDiscard);
  }

 private:
  core::Task<> checkout(const std::string& user) {
    const People& people = *s_->people;
    const std::size_t who = rng().below(people.open_objects.size());
    const std::string body = people.checkout_body(who, user);
    co_await client().post("/api/checkout",
                           {.json = body, .response_body = client::ResponseBody::kDiscard});
  }

  // loadGeneratorTraffic = 0 pauses every user's shop traffic until it is 1 again: a paused
  // user waits a second and lets the loop pick again, without its task's requests. The task's
  // span says so (loadgen.traffic.paused) and is not an error (RescheduleTask).
  core::Task<> traffic_gate(SpanScope& span) {
    // The result goes through a variable: GCC 12 miscompiles co_await inside an if condition.
    const bool traffic_on = co_await flags().bool_value(kTrafficFlag, true);
    if (traffic_on) co_return;
    span.set("loadgen.traffic.paused", true);
    co_await sleep(std::chrono::seconds(1));
    throw RescheduleTask{};
  }

  template <class A>
  typename A::value_type pick(const A& a) {
    return a[rng().below(a.size())];
  }

  std::shared_ptr<const ShopSettings> s_;
};

// A task tagged with its own name and its group (the group may be the name: "checkout").
TaskDef tagged(TaskDef t, std::string_view group) {
  t.tags.push_back(t.name);
  if (group != t.name) t.tags.emplace_back(group);
  return t;
}

}  // namespace

Scenario make_astronomy_shop_scenario(const ShopSettings& settings) {
  auto s = std::make_shared<const ShopSettings>(settings);
  UserClass cls;
  cls.name = "WebsiteUser";
  cls.weight = settings.user_weight;
  cls.wait_time = settings.wait_time;
  // Tags (-T/-E): each task's own name, plus its group: browse (the catalogue), cart (the cart
  // without paying), checkout (paying: both checkouts), flood (the flood flag's task).
  cls.tasks = {
      tagged(task<WebsiteUser>("index", 1, &WebsiteUser::index), "browse"),
      tagged(task<WebsiteUser>("browse_product", 10, &WebsiteUser::browse_product), "browse"),
      tagged(task<WebsiteUser>("get_recommendations", 3, &WebsiteUser::get_recommendations),
             "browse"),
      tagged(task<WebsiteUser>("get_ads", 3, &WebsiteUser::get_ads), "browse"),
      tagged(task<WebsiteUser>("view_cart", 3, &WebsiteUser::view_cart), "cart"),
      tagged(task<WebsiteUser>("add_to_cart", 2, &WebsiteUser::add_to_cart_task), "cart"),
      tagged(task<WebsiteUser>("checkout", 1, &WebsiteUser::checkout_single), "checkout"),
      tagged(task<WebsiteUser>("checkout_multi", 1, &WebsiteUser::checkout_multi), "checkout"),
      tagged(task<WebsiteUser>("flood_home", 5, &WebsiteUser::flood_home), "flood"),
  };
  cls.make = [s] { return std::make_unique<WebsiteUser>(s); };
  Scenario sc;
  sc.name = "astronomy-shop";
  sc.user_classes.push_back(std::move(cls));
  sc.users_flag = std::string(kUsersFlag);
  sc.uses_flags = true;
  return sc;
}

}  // namespace loadgen::scenario
