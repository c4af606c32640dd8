// shopsim's fixed shop data: the ten products of the OpenTelemetry Demo catalog (ids as in the
// demo, names and texts our own), ads per category, and the currencies it converts prices to.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

namespace loadgen::shopsim {

struct Money {
  std::string_view currency_code;
  std::int64_t units = 0;
  std::int32_t nanos = 0;  // same sign as units (google.type.Money)
};

struct Product {
  std::string_view id;
  std::string_view name;
  std::string_view description;
  std::string_view picture;
  Money price_usd;
  std::span<const std::string_view> categories;
};

struct Ad {
  std::string_view redirect_url;
  std::string_view text;
};

std::span<const Product> products();
const Product* find_product(std::string_view id);

// Ads whose category is `key` (the demo's ad service keys); empty span for unknown keys.
std::span<const Ad> ads_for(std::string_view key);
// Ads shown for unknown keys or "None" (the real ad service answers random ads then).
std::span<const Ad> generic_ads();

// The canonical code if `code` is a supported ISO 4217 code (uppercase only), else nullopt.
std::optional<std::string_view> supported_currency(std::string_view code);

// `usd` converted at our fixed rates, rounded to the nano.
Money convert(Money usd, std::string_view to_code);
// usd * quantity
Money multiply(Money m, std::int64_t quantity);
Money add(Money a, Money b);

nlohmann::json to_json(const Money& m);
// The product as the frontend's /api/products answers: id, name, description, picture,
// priceUsd (in `currency`, the demo keeps the field name), categories.
nlohmann::json to_json(const Product& p, std::string_view currency);

}  // namespace loadgen::shopsim
