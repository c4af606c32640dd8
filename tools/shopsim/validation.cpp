// Body validation for POST /api/cart, DELETE /api/cart and POST /api/checkout.
#include "validation.hpp"

#include "catalog.hpp"
#include "core/luhn.hpp"

namespace loadgen::shopsim {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxQuantity = 100;

const json* member(const json& obj, const char* name) {
  const auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

// A required non-empty string member; sets `problem` when missing or wrong.
bool require_string(const json& obj, const char* name, const std::string& path, std::string& out,
                    Problem& problem) {
  const json* v = member(obj, name);
  if (v == nullptr) {
    problem = path + ": missing";
    return false;
  }
  if (!v->is_string()) {
    problem = path + ": must be a string";
    return false;
  }
  out = v->get<std::string>();
  if (out.empty()) {
    problem = path + ": must not be empty";
    return false;
  }
  return true;
}

bool require_int(const json& obj, const char* name, const std::string& path, std::int64_t lo,
                 std::int64_t hi, std::int64_t& out, Problem& problem) {
  const json* v = member(obj, name);
  if (v == nullptr) {
    problem = path + ": missing";
    return false;
  }
  if (!v->is_number_integer()) {
    problem = path + ": must be an integer";
    return false;
  }
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
    problem = path + ": must be from " + std::to_string(lo) + " to " + std::to_string(hi);
    return false;
  }
  out = v->get<std::int64_t>();
  if (out < lo || out > hi) {
    problem = path + ": must be from " + std::to_string(lo) + " to " + std::to_string(hi);
    return false;
  }
  return true;
}

bool require_object(const json& obj, const char* name, const std::string& path, const json*& out,
                    Problem& problem) {
  out = member(obj, name);
  if (out == nullptr) {
    problem = path + ": missing";
    return false;
  }
  if (!out->is_object()) {
    problem = path + ": must be an object";
    return false;
  }
  return true;
}

bool plausible_email(std::string_view e) {
  const std::size_t at = e.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < e.size() &&
         e.find('@', at + 1) == std::string_view::npos &&
         e.find_first_of(" \t\r\n") == std::string_view::npos;
}

// Card number: digits with optional spaces or dashes between them; 12..19 digits.
bool card_digits(std::string_view number, std::string& digits) {
  digits.clear();
  for (char c : number) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-') {
      return false;
    }
  }
  return digits.size() >= 12 && digits.size() <= 19;
}

}  // namespace

std::string_view card_network(std::string_view digits) {
  if (digits.size() >= 13 && digits[0] == '4') return "visa";
  if (digits.size() == 16) {
    const int two = (digits[0] - '0') * 10 + (digits[1] - '0');
    const int four = two * 100 + (digits[2] - '0') * 10 + (digits[3] - '0');
    if (two >= 51 && two <= 55) return "mastercard";
    if (four >= 2221 && four <= 2720) return "mastercard";
  }
  return "";
}

Problem validate_add_to_cart(const json& body, AddToCart& out) {
  Problem p;
  if (!body.is_object()) return "body: must be a JSON object";
  const json* item = nullptr;
  if (!require_object(body, "item", "item", item, p)) return p;
  if (!require_string(*item, "productId", "item.productId", out.product_id, p)) return p;
  if (find_product(out.product_id) == nullptr) return "item.productId: unknown product";
  if (!require_int(*item, "quantity", "item.quantity", 1, kMaxQuantity, out.quantity, p)) return p;
  if (!require_string(body, "userId", "userId", out.user_id, p)) return p;
  return {};
}

Problem validate_user_id_body(const json& body, std::string& user_id) {
  Problem p;
  if (!body.is_object()) return "body: must be a JSON object";
  require_string(body, "userId", "userId", user_id, p);
  return p;
}

Problem validate_checkout(const json& body, YearMonth today, CheckoutRequest& out) {
  Problem p;
  if (!body.is_object()) return "body: must be a JSON object";
  if (!require_string(body, "userId", "userId", out.user_id, p)) return p;
  if (!require_string(body, "userCurrency", "userCurrency", out.user_currency, p)) return p;
  if (!supported_currency(out.user_currency)) return "userCurrency: unsupported currency";
  std::string email;
  if (!require_string(body, "email", "email", email, p)) return p;
  if (!plausible_email(email)) return "email: not an email address";

  const json* address = nullptr;
  if (!require_object(body, "address", "address", address, p)) return p;
  std::string s;
  for (const char* f : {"streetAddress", "city", "state", "country", "zipCode"}) {
    if (!require_string(*address, f, std::string("address.") + f, s, p)) return p;
  }
  out.address = *address;

  const json* card = nullptr;
  if (!require_object(body, "creditCard", "creditCard", card, p)) return p;
  std::string number;
  if (!require_string(*card, "creditCardNumber", "creditCard.creditCardNumber", number, p)) {
    return p;
  }
  std::string digits;
  if (!card_digits(number, digits)) {
    return "creditCard.creditCardNumber: must be 12 to 19 digits (spaces or dashes allowed)";
  }
  std::int64_t cvv = 0;
  std::int64_t year = 0;
  std::int64_t month = 0;
  if (!require_int(*card, "creditCardCvv", "creditCard.creditCardCvv", 0, 9999, cvv, p)) return p;
  if (!require_int(*card, "creditCardExpirationYear", "creditCard.creditCardExpirationYear", 0,
                   9999, year, p)) {
    return p;
  }
  if (!require_int(*card, "creditCardExpirationMonth", "creditCard.creditCardExpirationMonth", 1,
                   12, month, p)) {
    return p;
  }
  // The demo's payment service: Luhn first, then the network, then the expiry month.
  if (!core::luhn_valid(digits)) return "creditCard.creditCardNumber: fails the Luhn check";
  if (card_network(digits).empty()) {
    return "creditCard.creditCardNumber: only Visa or MasterCard are accepted";
  }
  if (year * 12 + month < std::int64_t{today.year} * 12 + today.month) {
    return "creditCard.creditCardExpirationYear: card expired " + std::to_string(month) + "/" +
           std::to_string(year);
  }
  return {};
}

}  // namespace loadgen::shopsim
