// Catalog data (our own texts) and fixed currency rates. Prices use google.type.Money
// (units + nanos) as the demo's protobuf API does.
#include "catalog.hpp"

#include <array>
#include <cmath>

namespace loadgen::shopsim {

namespace {

using Cats = std::array<std::string_view, 2>;
constexpr std::array<std::string_view, 1> kTelescopes = {"telescopes"};
constexpr Cats kTelescopesTravel = {"telescopes", "travel"};
constexpr std::array<std::string_view, 1> kBinoculars = {"binoculars"};
constexpr Cats kBinocularsTravel = {"binoculars", "travel"};
constexpr std::array<std::string_view, 1> kAccessories = {"accessories"};
constexpr Cats kAccessoriesTelescopes = {"accessories", "telescopes"};
constexpr Cats kAssemblyTelescopes = {"assembly", "telescopes"};
constexpr std::array<std::string_view, 1> kBooks = {"books"};

constexpr Money usd(std::int64_t units, std::int32_t nanos) { return Money{"USD", units, nanos}; }

const std::array<Product, 10> kProducts = {{
    {"0PUK6V6EV0", "Planetary Camera Mini",
     "A small color camera for the eyepiece port that records the planets and the Moon in video.",
     "PlanetaryCameraMini.jpg", usd(175, 0), kAccessoriesTelescopes},
    {"1YMWWN1N4O", "Voyager 80 Refractor",
     "An 80 mm refractor with a backpack case, made for dark skies a long drive away.",
     "Voyager80Refractor.jpg", usd(129, 950000000), kTelescopesTravel},
    {"2ZYFJ3GM2N", "Roof Binoculars",
     "Compact 10x42 roof-prism binoculars, waterproof and light enough for every walk.",
     "RoofBinoculars.jpg", usd(209, 950000000), kBinoculars},
    {"66VCHSJNUP", "Skyfinder Reflector 130",
     "A 130 mm reflector whose phone app shows where to push the tube to find a target.",
     "SkyfinderReflector130.jpg", usd(349, 950000000), kTelescopes},
    {"6E92ZMYYFZ", "White-Light Solar Film",
     "Safe solar film sheets to cut to size for any telescope or binocular front.",
     "WhiteLightSolarFilm.jpg", usd(69, 950000000), kAccessoriesTelescopes},
    {"9SIQT8TOJO", "Optical Tube Kit 150",
     "A 150 mm optical tube to mount on your own base; rings and dovetail included.",
     "OpticalTubeKit150.jpg", usd(3599, 0), kAssemblyTelescopes},
    {"L9ECAV7KIM", "Optics Cleaning Set",
     "Blower, soft brush and lens tissue in a pouch that keeps the dust off them.",
     "OpticsCleaningSet.jpg", usd(21, 950000000), kAccessories},
    {"LS4PSXUNUM", "Night-Vision Red Torch",
     "A dimmable red torch that keeps your eyes adapted to the dark while you read charts.",
     "NightVisionRedTorch.jpg", usd(57, 80000000), kAccessories},
    {"OLJCESPC7Z", "Field Binoculars 8x30",
     "Porro-prism binoculars with a wide field, a neck strap and a rain guard.",
     "FieldBinoculars830.jpg", usd(101, 960000000), kBinocularsTravel},
    {"HQTGWGPNH4", "A Field Guide to Comets",
     "How comets are found, named and followed, with charts for the next returns.",
     "FieldGuideToComets.jpg", usd(0, 990000000), kBooks},
}};

struct CategoryAds {
  std::string_view category;
  std::array<Ad, 2> ads;
};

const std::array<CategoryAds, 6> kAds = {{
    {"binoculars",
     {{{"/product/2ZYFJ3GM2N", "Roof Binoculars for every walk: 10% off this week"},
       {"/product/OLJCESPC7Z", "Field Binoculars 8x30 now with a free rain guard"}}}},
    {"telescopes",
     {{{"/product/66VCHSJNUP", "Skyfinder Reflector 130: find any target with your phone"},
       {"/product/1YMWWN1N4O", "Voyager 80 Refractor: the telescope that fits a backpack"}}}},
    {"accessories",
     {{{"/product/L9ECAV7KIM", "Optics Cleaning Set: clear views for two dollars off"},
       {"/product/LS4PSXUNUM", "Keep your night vision with the Red Torch"}}}},
    {"assembly",
     {{{"/product/9SIQT8TOJO", "Optical Tube Kit 150: build the telescope you want"},
       {"/product/0PUK6V6EV0", "Planetary Camera Mini fits any tube you build"}}}},
    {"travel",
     {{{"/product/1YMWWN1N4O", "Dark skies are a drive away: Voyager 80 travels with you"},
       {"/product/OLJCESPC7Z", "Binoculars that go where you go"}}}},
    {"books",
     {{{"/product/HQTGWGPNH4", "A Field Guide to Comets: under a dollar"},
       {"/product/HQTGWGPNH4", "Know the next comet before it knows you"}}}},
}};

const std::array<Ad, 2> kGenericAds = {{
    {"/product/66VCHSJNUP", "Stargazing season is here: telescopes from $129"},
    {"/product/6E92ZMYYFZ", "Watch the Sun safely with White-Light Solar Film"},
}};

struct Rate {
  std::string_view code;
  double per_usd;  // units of `code` for one USD (fixed, approximate, ours)
};

// The currencies the demo's currency service lists (ECB reference set plus USD).
constexpr std::array<Rate, 33> kRates = {{
    {"USD", 1.0},   {"EUR", 0.92},   {"JPY", 150.0}, {"BGN", 1.80}, {"CZK", 23.0},    {"DKK", 6.86},
    {"GBP", 0.79},  {"HUF", 360.0},  {"PLN", 3.98},  {"RON", 4.58}, {"SEK", 10.4},    {"CHF", 0.88},
    {"ISK", 137.0}, {"NOK", 10.6},   {"HRK", 6.93},  {"RUB", 91.0}, {"TRY", 32.0},    {"AUD", 1.52},
    {"BRL", 5.0},   {"CAD", 1.35},   {"CNY", 7.2},   {"HKD", 7.8},  {"IDR", 15600.0}, {"ILS", 3.65},
    {"INR", 83.0},  {"KRW", 1330.0}, {"MXN", 17.0},  {"MYR", 4.7},  {"NZD", 1.63},    {"PHP", 56.0},
    {"SGD", 1.34},  {"THB", 35.8},   {"ZAR", 18.7},
}};

constexpr std::int64_t kNano = 1'000'000'000;

Money from_nanos(std::string_view code, std::int64_t total) {
  return Money{code, total / kNano, static_cast<std::int32_t>(total % kNano)};
}

std::int64_t to_nanos(const Money& m) { return m.units * kNano + m.nanos; }

}  // namespace

std::span<const Product> products() { return kProducts; }

const Product* find_product(std::string_view id) {
  for (const Product& p : kProducts) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::span<const Ad> ads_for(std::string_view key) {
  for (const CategoryAds& c : kAds) {
    if (c.category == key) return c.ads;
  }
  return {};
}

std::span<const Ad> generic_ads() { return kGenericAds; }

std::optional<std::string_view> supported_currency(std::string_view code) {
  for (const Rate& r : kRates) {
    if (r.code == code) return r.code;
  }
  return std::nullopt;
}

Money convert(Money usd_amount, std::string_view to_code) {
  for (const Rate& r : kRates) {
    if (r.code != to_code) continue;
    const long double total = static_cast<long double>(to_nanos(usd_amount)) * r.per_usd;
    return from_nanos(r.code, static_cast<std::int64_t>(std::llround(total)));
  }
  return usd_amount;
}

Money multiply(Money m, std::int64_t quantity) {
  return from_nanos(m.currency_code, to_nanos(m) * quantity);
}

Money add(Money a, Money b) { return from_nanos(a.currency_code, to_nanos(a) + to_nanos(b)); }

nlohmann::json to_json(const Money& m) {
  return {{"currencyCode", m.currency_code}, {"units", m.units}, {"nanos", m.nanos}};
}

nlohmann::json to_json(const Product& p, std::string_view currency) {
  nlohmann::json cats = nlohmann::json::array();
  for (std::string_view c : p.categories) cats.push_back(c);
  return {{"id", p.id},
          {"name", p.name},
          {"description", p.description},
          {"picture", p.picture},
          {"priceUsd", to_json(currency == "USD" ? p.price_usd : convert(p.price_usd, currency))},
          {"categories", std::move(cats)}};
}

}  // namespace loadgen::shopsim
