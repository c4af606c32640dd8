#include <fmt/format.h>

#include <memory>

#include "scenario/astronomy_shop.hpp"
#include "scenario/scenario.hpp"

namespace loadgen::scenario {

std::vector<std::string_view> builtin_scenario_names() { return {"astronomy-shop", "get"}; }

core::Result<Scenario> make_builtin_scenario(std::string_view name, const BuiltinSettings& s) {
  if (name == "get") {
    if (!s.people_file.empty()) {
      return core::make_error("bad_value",
                              fmt::format("--people: the 'get' scenario does not use people "
                                          "(given '{}')",
                                          s.people_file),
                              "--people only applies to --scenario astronomy-shop");
    }
    return make_get_scenario(s.get);
  }
  if (name == "astronomy-shop") {
    ShopSettings shop;
    shop.user_weight = s.shop_user_weight;
    if (s.shop_wait_time) shop.wait_time = *s.shop_wait_time;
    if (s.people_file.empty()) {
      shop.people = std::make_shared<const People>(builtin_people());
    } else {
      auto people = load_people_file(s.people_file, s.today);
      if (!people) return people.error();
      shop.people = std::make_shared<const People>(std::move(*people));
    }
    return make_astronomy_shop_scenario(shop);
  }
  return core::make_error(
      "unknown_scenario", fmt::format("--scenario: unknown scenario '{}'", name),
      fmt::format("built-in scenarios: {}", fmt::join(builtin_scenario_names(), ", ")));
}

}  // namespace loadgen::scenario
