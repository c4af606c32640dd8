#include "otel/attribute_limits.hpp"

#include <string>
#include <utility>
#include <variant>

#include "core/utf8.hpp"

namespace loadgen::otel {

void truncate_value(AttrValue& value, std::optional<std::uint32_t> limit) {
  if (!limit) return;
  if (auto* s = std::get_if<std::string>(&value.v)) {
    core::utf8_truncate(*s, *limit);
  } else if (auto* a = std::get_if<AttrArray>(&value.v)) {
    for (AttrValue& e : *a) truncate_value(e, limit);
  }
}

void put_attribute(Attributes& attrs, std::uint32_t& dropped, std::string_view key, AttrValue value,
                   std::uint32_t count_limit, std::optional<std::uint32_t> length_limit) {
  truncate_value(value, length_limit);
  for (Attribute& a : attrs) {
    if (a.key == key) {
      a.value = std::move(value);
      return;
    }
  }
  if (attrs.size() >= count_limit) {
    ++dropped;
    return;
  }
  attrs.push_back({std::string(key), std::move(value)});
}

void limit_attributes(Attributes& attrs, std::uint32_t& dropped, std::uint32_t count_limit,
                      std::optional<std::uint32_t> length_limit) {
  if (attrs.size() > count_limit) {
    dropped += static_cast<std::uint32_t>(attrs.size() - count_limit);
    attrs.resize(count_limit);
  }
  if (length_limit) {
    for (auto& a : attrs) truncate_value(a.value, length_limit);
  }
}

}  // namespace loadgen::otel
