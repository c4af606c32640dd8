// Validation of the JSON bodies the shop's POST routes receive, with the rules of the demo's
// services (cart quantities, checkout fields, the payment service's card checks). Each failure
// names the field and the reason: "creditCard.creditCardNumber: fails the Luhn check".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace loadgen::shopsim {

// Empty when valid, else "<field>: <reason>".
using Problem = std::string;

struct YearMonth {
  int year = 0;
  int month = 0;  // 1..12
};

struct AddToCart {
  std::string user_id;
  std::string product_id;
  std::int64_t quantity = 0;
};

// {"item":{"productId":ID,"quantity":N},"userId":UID}; quantity an integer 1..100, productId
// in the catalog, userId a non-empty string.
Problem validate_add_to_cart(const nlohmann::json& body, AddToCart& out);

// {"userId": non-empty string}
Problem validate_user_id_body(const nlohmann::json& body, std::string& user_id);

struct CheckoutRequest {
  std::string user_id;
  std::string user_currency;
  nlohmann::json address;  // validated copy of the address object
};

// Every field of the demo's checkout form, and the card as the payment service checks it:
// Luhn-valid, Visa or MasterCard, not expired relative to `today`.
Problem validate_checkout(const nlohmann::json& body, YearMonth today, CheckoutRequest& out);

// The card network alone (the Luhn check is core::luhn_valid). Exposed for tests.
// "visa", "mastercard", or "" for other networks (Amex 34/37, Discover 6..., ...).
std::string_view card_network(std::string_view digits);

}  // namespace loadgen::shopsim
