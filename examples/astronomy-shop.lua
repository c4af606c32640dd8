-- The OpenTelemetry Demo's load generator (the built-in `astronomy-shop` scenario) in Lua:
-- the same tasks and weights, URLs, request bodies, span names and attributes, log lines and
-- feature flags (docs/scenario-lua.md).
--   loadgen -f examples/astronomy-shop.lua -H http://localhost:8080 -u 10 -r 1 --headless

-- The flag whose value sets the live user count, as the demo's loadGeneratorVUs does.
users_flag = "loadGeneratorVUs"

local products = {
  "0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
  "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z", "HQTGWGPNH4",
}
-- The demo draws from these and Python's None, which goes on the wire as "None".
local categories = {"binoculars", "telescopes", "accessories", "assembly", "travel", "books", "None"}
local quantities = {1, 2, 3, 4, 5, 10}
-- The checkout customers (the built-in's people file), read once per interpreter.
local people = data.json("../src/scenario/data/people.json")

local function pick(list)
  return list[math.random(#list)]
end

-- loadGeneratorTraffic = 0 pauses the shop traffic: the user waits a second and lets the loop
-- pick again, without the task's requests (the span says loadgen.traffic.paused).
local function traffic_gate(s)
  if flag("loadGeneratorTraffic", true) then return end
  s:set("loadgen.traffic.paused", true)
  sleep(1)
  reschedule()
end

local function index(self)
  task_span("user_index", function(s)
    traffic_gate(s)
    log.info("User accessing index page")
    self.client:get("/")
  end)
end

local function browse_product(self)
  task_span("user_browse_product", function(s)
    traffic_gate(s)
    local product = pick(products)
    s:set("product.id", product)
    log.info("User browsing product: %s", product)
    self.client:get("/api/products/" .. product)
  end)
end

local function get_recommendations(self)
  task_span("user_get_recommendations", function(s)
    traffic_gate(s)
    local product = pick(products)
    s:set("product.id", product)
    log.info("User getting recommendations for product: %s", product)
    self.client:get("/api/recommendations?productIds=" .. product)
  end)
end

local function get_ads(self)
  task_span("user_get_ads", function(s)
    traffic_gate(s)
    local category = pick(categories)
    s:set("category", category)
    log.info("User getting ads for category: %s", category)
    self.client:get("/api/data/?contextKeys=" .. category)
  end)
end

local function view_cart(self)
  task_span("user_view_cart", function(s)
    traffic_gate(s)
    log.info("User viewing cart")
    self.client:get("/api/cart")
  end)
end

-- gate: evaluate the traffic gate (as a task); inside a checkout the checkout's gate holds.
local function add_to_cart_for(self, user_id, gate)
  task_span("user_add_to_cart", function(s)
    if gate then traffic_gate(s) end
    local product, quantity = pick(products), pick(quantities)
    s:set("user.id", user_id):set("product.id", product):set("quantity", quantity)
    log.info("User %s adding %d of product %s to cart", user_id, quantity, product)
    self.client:get("/api/products/" .. product)
    self.client:post("/api/cart", {
      json = {item = {productId = product, quantity = quantity}, userId = user_id},
    })
  end)
end

-- As a task: a fresh user id each time (the demo's add_to_cart(user="")).
local function add_to_cart(self)
  add_to_cart_for(self, uuid(), true)
end

local function checkout_as(self, user_id)
  local person = pick(people)
  local body = {userId = user_id}
  for k, v in pairs(person) do body[k] = v end
  self.client:post("/api/checkout", {json = body})
end

local function checkout(self)
  task_span("user_checkout_single", function(s)
    traffic_gate(s)
    local user_id = uuid()
    s:set("user.id", user_id)
    add_to_cart_for(self, user_id)
    checkout_as(self, user_id)
    log.info("Checkout completed for user %s", user_id)
  end)
end

local function checkout_multi(self)
  task_span("user_checkout_multi", function(s)
    traffic_gate(s)
    local user_id = uuid()
    local items = math.random(2, 4)
    s:set("user.id", user_id):set("item.count", items)
    for _ = 1, items do add_to_cart_for(self, user_id) end
    checkout_as(self, user_id)
    log.info("Multi-item checkout completed for user %s", user_id)
  end)
end

local function flood_home(self)
  task_span("user_flood_home", function(s)
    traffic_gate(s)
    local count = flag("loadGeneratorFloodHomepage", 0)
    s:set("flood.count", count)
    if count <= 0 then return end
    log.info("User flooding homepage %d times", count)
    for _ = 1, count do
      if self:stopping() then break end
      self.client:get("/")
    end
  end)
end

WebsiteUser = user{
  weight = 9,
  wait_time = between(1, 10),
  -- The demo's user_session_start: the index task inside a session span.
  on_start = function(self)
    task_span("user_session_start", function()
      log.info("Starting user session: %s", self:session_id())
      index(self)
    end)
  end,
  -- Each task is tagged with its name and its group (-T/--tags, -E/--exclude-tags), as the
  -- built-in's are.
  tasks = {
    task{index, weight = 1, tags = {"index", "browse"}},
    task{browse_product, weight = 10, tags = {"browse_product", "browse"}},
    task{get_recommendations, weight = 3, tags = {"get_recommendations", "browse"}},
    task{get_ads, weight = 3, tags = {"get_ads", "browse"}},
    task{view_cart, weight = 3, tags = {"view_cart", "cart"}},
    task{add_to_cart, weight = 2, tags = {"add_to_cart", "cart"}},
    task{checkout, weight = 1, tags = {"checkout"}},
    task{checkout_multi, weight = 1, tags = {"checkout_multi", "checkout"}},
    task{flood_home, weight = 5, tags = {"flood_home", "flood"}},
  },
}
