#include "scenario/people.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace loadgen::scenario {
namespace {

const char* kOne = R"([{"email":"a@example.com","userCurrency":"USD",
  "address":{"streetAddress":"1 Main St","zipCode":"94043","city":"MV","state":"CA","country":"US"},
  "creditCard":{"creditCardNumber":"4111111111111111","creditCardExpirationMonth":1,
                "creditCardExpirationYear":2040,"creditCardCvv":123}}])";

// Luhn over the digits (spaces and dashes skipped).
bool luhn(std::string_view number) {
  int sum = 0;
  bool twice = false;
  for (auto it = number.rbegin(); it != number.rend(); ++it) {
    if (*it < '0' || *it > '9') continue;
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

TEST(People, ParsesAndBuildsCheckoutBody) {
  auto p = parse_people(kOne, "test");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->open_objects.size(), 1u);
  const auto body = nlohmann::json::parse(p->checkout_body(0, "u-1"));
  EXPECT_EQ(body["userId"], "u-1");
  EXPECT_EQ(body["address"]["zipCode"], "94043");
  EXPECT_EQ(body["creditCard"]["creditCardCvv"], 123);
}

TEST(People, ErrorsNameSourceIndexAndField) {
  struct Case {
    std::string text;
    std::string expect;
  };
  const std::string good = kOne;
  auto with = [&](std::string from, std::string to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const Case cases[] = {
      {"not json", "f.json: not valid JSON"},
      {"[]", "f.json: must be a non-empty JSON array"},
      {"{}", "f.json: must be a non-empty JSON array"},
      {"[1]", "[0] must be an object"},
      {with(R"("email":"a@example.com",)", ""), "[0].email is missing"},
      {with(R"("zipCode":"94043")", R"("zipCode":94043)"), "[0].address.zipCode must be a string"},
      {with(R"("creditCardExpirationMonth":1)", R"("creditCardExpirationMonth":13)"),
       "creditCardExpirationMonth must be 1..12"},
      {with(R"("creditCardCvv":123)", R"("creditCardCvv":"123")"),
       "creditCardCvv must be an integer"},
      {with(R"("4111111111111111")", R"("4111x")"), "creditCardNumber must contain only digits"},
      {with(R"("USD")", R"("DOLLAR")"), "userCurrency must be a 3-letter"},
      {with(R"("email")", R"("userId":"x","email")"), "userId must not be set"},
      {with(R"("a@example.com")", R"("")"), "[0].email must not be empty"},
      {with(R"("4111111111111111")", R"("")"), "[0].creditCard.creditCardNumber must not be empty"},
      {with(R"("4111111111111111")", R"(" - ")"), "creditCardNumber must not be empty"},
      {with(R"("4111111111111111")", R"("4111111111111112")"),
       "[0].creditCard.creditCardNumber fails the Luhn check"},
      {with(R"("creditCardCvv":123)", R"("creditCardCvv":12)"),
       "[0].creditCard.creditCardCvv must have 3 or 4 digits"},
      {with(R"("creditCardCvv":123)", R"("creditCardCvv":12345)"),
       "creditCardCvv must have 3 or 4 digits"},
      {with(R"("creditCardCvv":123)", R"("creditCardCvv":-123)"),
       "creditCardCvv must have 3 or 4 digits"},
  };
  for (const auto& c : cases) {
    auto p = parse_people(c.text, "f.json");
    ASSERT_FALSE(p) << c.text;
    EXPECT_NE(p.error().message.find(c.expect), std::string::npos) << p.error().message;
  }
}

TEST(People, ExpiredCardsAreRejectedNamingTheEntry) {
  const std::string two = std::string(kOne).substr(0, std::string(kOne).size() - 1) + "," +
                          std::string(kOne).substr(1);  // two copies of the person
  std::string expired = two;
  const std::string year = R"("creditCardExpirationYear":2040)";
  expired.replace(expired.rfind(year), year.size(), R"("creditCardExpirationYear":2026)");
  // Person [1] expires 01/2026: fine in January 2026, expired from February 2026.
  EXPECT_TRUE(parse_people(expired, "f.json", YearMonth{2026, 1}));
  EXPECT_TRUE(parse_people(expired, "f.json", YearMonth{2025, 12}));
  auto p = parse_people(expired, "f.json", YearMonth{2026, 2});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("f.json: [1].creditCard has expired (01/2026, before 02/2026)"),
            std::string::npos)
      << p.error().message;
  EXPECT_TRUE(parse_people(expired, "f.json"));  // no date: no expiry check
}

TEST(People, DirectoryIsAnError) {
  auto p = load_people_file("/tmp");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "--people: '/tmp' is a directory");
}

TEST(People, MissingFileIsAnError) {
  auto p = load_people_file("/nonexistent/people.json");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("/nonexistent/people.json"), std::string::npos);
}

// The built-in customers must keep passing the demo's payment checks for years: Luhn, Visa or
// MasterCard, and an expiry well in the future.
TEST(People, BuiltinCardsPassThePaymentChecks) {
  // The bundled file passes every check (Luhn, CVV, email) at today's date.
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  ASSERT_TRUE(load_people_file(LOADGEN_PEOPLE_JSON, YearMonth{utc.tm_year + 1900, utc.tm_mon + 1}));
  const People& people = builtin_people();
  ASSERT_GE(people.open_objects.size(), 10u);
  std::set<std::string> countries, currencies;
  for (std::size_t i = 0; i < people.open_objects.size(); ++i) {
    const auto person = nlohmann::json::parse(people.checkout_body(i, "u"));
    const std::string number = person["creditCard"]["creditCardNumber"];
    EXPECT_TRUE(luhn(number)) << number;
    const int two = std::stoi(number.substr(0, 2));
    const int four = std::stoi(number.substr(0, 4));
    EXPECT_TRUE(number[0] == '4' || (two >= 51 && two <= 55) || (four >= 2221 && four <= 2720))
        << number;
    EXPECT_GE(person["creditCard"]["creditCardExpirationYear"].get<int>(), 2033) << number;
    countries.insert(person["address"]["country"].get<std::string>());
    currencies.insert(person["userCurrency"].get<std::string>());
  }
  EXPECT_GE(countries.size(), 5u);
  EXPECT_GE(currencies.size(), 5u);
}

}  // namespace
}  // namespace loadgen::scenario
