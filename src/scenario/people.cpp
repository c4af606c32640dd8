#include "scenario/people.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/luhn.hpp"

namespace loadgen::scenario {

extern const char* const kBuiltinPeopleJson;  // people_data.cpp, generated from data/people.json

namespace {

using nlohmann::json;

// Checks one field; returns an error message or empty.
std::string check(const json& obj, std::string_view path, const char* key, json::value_t type) {
  auto it = obj.find(key);
  if (it == obj.end()) return fmt::format("{}.{} is missing", path, key);
  const bool ok =
      type == json::value_t::number_integer ? (it->is_number_integer()) : it->type() == type;
  if (!ok) {
    const char* want = type == json::value_t::string   ? "a string"
                       : type == json::value_t::object ? "an object"
                                                       : "an integer";
    return fmt::format("{}.{} must be {}", path, key, want);
  }
  return {};
}

std::string validate(const json& p, std::size_t index, YearMonth today) {
  const std::string path = fmt::format("[{}]", index);
  if (!p.is_object()) return path + " must be an object";
  for (const char* key : {"email", "userCurrency"}) {
    if (auto e = check(p, path, key, json::value_t::string); !e.empty()) return e;
  }
  if (p["email"].get<std::string>().empty()) return path + ".email must not be empty";
  if (p["userCurrency"].get<std::string>().size() != 3) {
    return path + ".userCurrency must be a 3-letter ISO 4217 code";
  }
  if (auto e = check(p, path, "address", json::value_t::object); !e.empty()) return e;
  for (const char* key : {"streetAddress", "zipCode", "city", "state", "country"}) {
    if (auto e = check(p["address"], path + ".address", key, json::value_t::string); !e.empty())
      return e;
  }
  if (auto e = check(p, path, "creditCard", json::value_t::object); !e.empty()) return e;
  const json& card = p["creditCard"];
  if (auto e = check(card, path + ".creditCard", "creditCardNumber", json::value_t::string);
      !e.empty())
    return e;
  for (const char* key :
       {"creditCardExpirationMonth", "creditCardExpirationYear", "creditCardCvv"}) {
    if (auto e = check(card, path + ".creditCard", key, json::value_t::number_integer); !e.empty())
      return e;
  }
  const auto month = card["creditCardExpirationMonth"].get<std::int64_t>();
  if (month < 1 || month > 12) return path + ".creditCard.creditCardExpirationMonth must be 1..12";
  const auto year = card["creditCardExpirationYear"].get<std::int64_t>();
  if (year * 12 + month < std::int64_t{today.year} * 12 + today.month) {
    return fmt::format("{}.creditCard has expired ({:02}/{}, before {:02}/{})", path, month, year,
                       today.month, today.year);
  }
  const std::string number = card["creditCardNumber"].get<std::string>();
  std::size_t digits = 0;
  for (char c : number) {
    if ((c < '0' || c > '9') && c != ' ' && c != '-') {
      return path + ".creditCard.creditCardNumber must contain only digits";
    }
    if (c >= '0' && c <= '9') ++digits;
  }
  if (digits == 0) return path + ".creditCard.creditCardNumber must not be empty";
  if (!core::luhn_valid(number)) {
    return path + ".creditCard.creditCardNumber fails the Luhn check (a mistyped number)";
  }
  const auto cvv = card["creditCardCvv"].get<std::int64_t>();
  if (cvv < 100 || cvv > 9999) return path + ".creditCard.creditCardCvv must have 3 or 4 digits";
  if (p.contains("userId")) return path + ".userId must not be set: the scenario adds it";
  return {};
}

}  // namespace

std::string People::checkout_body(std::size_t i, std::string_view user_id) const {
  const std::string& open = open_objects[i];
  std::string body;
  body.reserve(open.size() + user_id.size() + 16);
  body += open;
  if (open.size() > 1) body += ',';
  body += "\"userId\":\"";
  body += user_id;  // a UUID: nothing to escape
  body += "\"}";
  return body;
}

core::Result<People> parse_people(std::string_view text, std::string_view source, YearMonth today) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return core::make_error("bad_people", fmt::format("{}: not valid JSON", source),
                            "expected a JSON array of people objects");
  }
  if (!doc.is_array() || doc.empty()) {
    return core::make_error("bad_people",
                            fmt::format("{}: must be a non-empty JSON array", source));
  }
  People out;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    if (std::string e = validate(doc[i], i, today); !e.empty()) {
      return core::make_error("bad_people", fmt::format("{}: {}", source, e));
    }
    std::string dumped = doc[i].dump();  // compact, UTF-8 kept
    dumped.pop_back();                   // drop the closing brace
    out.open_objects.push_back(std::move(dumped));
  }
  return out;
}

core::Result<People> load_people_file(const std::string& path, YearMonth today) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return core::make_error("bad_people", fmt::format("--people: '{}' is a directory", path),
                            "name a JSON file such as src/scenario/data/people.json");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return core::make_error("bad_people", fmt::format("--people: cannot read '{}'", path));
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad())
    return core::make_error("bad_people", fmt::format("--people: cannot read '{}'", path));
  return parse_people(ss.str(), "--people " + path, today);
}

const People& builtin_people() {
  static const People people = [] {
    auto r = parse_people(kBuiltinPeopleJson, "built-in people");
    return r ? std::move(*r) : People{};
  }();
  return people;
}

}  // namespace loadgen::scenario
