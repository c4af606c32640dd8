// People: the checkout customers of the Astronomy Shop scenario. Loaded from a JSON array
// (--people FILE, or the built-in data/people.json) and validated once; each person is kept
// as compact JSON text so a checkout body is built by appending `"userId"` without re-encoding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace loadgen::scenario {

// A calendar month, to tell expired cards; {0, 0} (the default) accepts every expiry.
struct YearMonth {
  int year = 0;
  int month = 0;  // 1..12
};

struct People {
  // Each entry: one person's JSON object without its closing brace, e.g. {"email":"a@b",...
  std::vector<std::string> open_objects;
  // Body of POST /api/checkout for person i: the person plus "userId".
  std::string checkout_body(std::size_t i, std::string_view user_id) const;
};

// Parses and validates a people file: a non-empty JSON array of objects with email (non-empty
// string), address {streetAddress, zipCode, city, state, country: strings}, userCurrency
// (3-letter string), creditCard {creditCardNumber: digits (spaces and '-' allowed) passing the
// Luhn check, creditCardExpirationMonth 1..12, creditCardExpirationYear: integers, not before
// `today`; creditCardCvv: an integer of 3 or 4 digits}: what the demo's payment service accepts
// (it rejects a Luhn-invalid or expired card). Errors name `source`, the index and field.
core::Result<People> parse_people(std::string_view json_text, std::string_view source,
                                  YearMonth today = {});
// A directory or unreadable file is an error naming `path`.
core::Result<People> load_people_file(const std::string& path, YearMonth today = {});
// The built-in people (src/scenario/data/people.json, compiled in).
const People& builtin_people();

}  // namespace loadgen::scenario
