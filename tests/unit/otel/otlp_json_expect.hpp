// Checks of OTLP/JSON output as parsed by nlohmann_json, shared by the trace, metric and log
// encoder tests: the OTLP/JSON type rules (hex ids, 64-bit integers as strings, 32-bit ones and
// enums as numbers, lowerCamelCase keys, NaN/Infinity strings), AnyValue/KeyValue and the
// Resource<X>/Scope<X> envelopes. Absent members stand for the field's default.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "otel/common.hpp"
#include "otel/protobuf_writer.hpp"
#include "otlp_test_util.hpp"

namespace loadgen::otel::testing {

using Json = nlohmann::json;

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& id) {
  std::string s;
  char buf[3];
  for (std::uint8_t b : id) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    s += buf;
  }
  return s;
}

// Every key of every object is lowerCamelCase (no '_'), except attribute keys, which are data.
inline void expect_camel_case_keys(const Json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      EXPECT_EQ(it.key().find('_'), std::string::npos) << it.key();
      if (it.key() == "key") continue;
      expect_camel_case_keys(it.value());
    }
  } else if (j.is_array()) {
    for (const Json& e : j) expect_camel_case_keys(e);
  }
}

// Absent = the field's default (OTLP/JSON may omit defaults).
inline std::string str_or_empty(const Json& obj, const char* k) {
  if (!obj.contains(k)) return "";
  EXPECT_TRUE(obj[k].is_string()) << k;
  return obj[k].get<std::string>();
}

inline std::uint64_t u64_string(const Json& obj, const char* k) {
  if (!obj.contains(k)) return 0;
  EXPECT_TRUE(obj[k].is_string()) << k << " must be a decimal string";
  return std::stoull(obj[k].get<std::string>());
}

inline std::uint32_t u32_number(const Json& obj, const char* k) {
  if (!obj.contains(k)) return 0;
  EXPECT_TRUE(obj[k].is_number_unsigned()) << k << " must be a JSON number";
  return obj[k].get<std::uint32_t>();
}

inline void expect_value(const AttrValue& want, const Json& got, const std::string& where) {
  SCOPED_TRACE(where);
  ASSERT_TRUE(got.is_object());
  ASSERT_EQ(got.size(), 1U) << got.dump();  // oneof: exactly one member
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          ASSERT_TRUE(got.contains("stringValue"));
          EXPECT_EQ(got["stringValue"].get<std::string>(), sanitized(v));
        } else if constexpr (std::is_same_v<T, bool>) {
          ASSERT_TRUE(got.contains("boolValue") && got["boolValue"].is_boolean());
          EXPECT_EQ(got["boolValue"].get<bool>(), v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          ASSERT_TRUE(got.contains("intValue") && got["intValue"].is_string());
          EXPECT_EQ(got["intValue"].get<std::string>(), std::to_string(v));
        } else if constexpr (std::is_same_v<T, double>) {
          ASSERT_TRUE(got.contains("doubleValue"));
          const Json& d = got["doubleValue"];
          if (std::isnan(v)) {
            EXPECT_EQ(d, "NaN");
          } else if (std::isinf(v)) {
            EXPECT_EQ(d, v > 0 ? "Infinity" : "-Infinity");
          } else {
            ASSERT_TRUE(d.is_number());
            const double parsed = d.get<double>();
            std::uint64_t a = 0;
            std::uint64_t b = 0;
            std::memcpy(&a, &parsed, 8);
            std::memcpy(&b, &v, 8);
            EXPECT_EQ(a, b) << d.dump();  // round-trips exactly, -0.0 included
          }
        } else {
          ASSERT_TRUE(got.contains("arrayValue") && got["arrayValue"].is_object());
          const Json& av = got["arrayValue"];
          const std::size_t n = av.contains("values") ? av["values"].size() : 0;
          ASSERT_EQ(n, v.size());
          for (std::size_t i = 0; i < n; ++i)
            expect_value(v[i], av["values"][i], where + "[" + std::to_string(i) + "]");
        }
      },
      want.v);
}

inline void expect_attributes(const Attributes& want, const Json& obj, const std::string& where) {
  if (want.empty()) {
    EXPECT_FALSE(obj.contains("attributes")) << where;
    return;
  }
  ASSERT_TRUE(obj.contains("attributes") && obj["attributes"].is_array()) << where;
  const Json& got = obj["attributes"];
  ASSERT_EQ(got.size(), want.size()) << where;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i]["key"].get<std::string>(), want[i].key) << where;
    expect_value(want[i].value, got[i]["value"], where + "." + want[i].key);
  }
}

// A double member: absent = 0.0; "NaN"/"Infinity"/"-Infinity" strings; otherwise a number.
inline double json_double(const Json& d) {
  if (d.is_string()) {
    const auto& s = d.get_ref<const std::string&>();
    EXPECT_TRUE(s == "NaN" || s == "Infinity" || s == "-Infinity") << s;
    if (s == "NaN") return std::nan("");
    return s == "Infinity" ? HUGE_VAL : -HUGE_VAL;
  }
  EXPECT_TRUE(d.is_number()) << d.dump();
  return d.get<double>();
}
inline double double_or_zero(const Json& obj, const char* k) {
  return obj.contains(k) ? json_double(obj[k]) : 0.0;
}
inline std::optional<double> optional_double(const Json& obj, const char* k) {
  if (!obj.contains(k)) return std::nullopt;
  return json_double(obj[k]);
}
// Bitwise, so that NaN == NaN and -0.0 != 0.0.
inline void expect_same_double(double got, double want, const std::string& where) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << where;
    return;
  }
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::memcpy(&a, &got, 8);
  std::memcpy(&b, &want, 8);
  EXPECT_EQ(a, b) << where << ": " << got << " vs " << want;
}
inline void expect_optional_double(const Json& obj, const char* k, std::optional<double> want) {
  const auto got = optional_double(obj, k);
  ASSERT_EQ(got.has_value(), want.has_value()) << k;
  if (want) expect_same_double(*got, *want, k);
}
// Optional ids: absent when all zero, else lowercase hex.
template <std::size_t N>
void expect_optional_id(const Json& obj, const char* k, const std::array<std::uint8_t, N>& id) {
  if (id == std::array<std::uint8_t, N>{}) {
    EXPECT_FALSE(obj.contains(k)) << k;
  } else {
    EXPECT_EQ(obj.value(k, Json()), hex(id)) << k;
  }
}
// An array member of objects (absent = empty).
inline const Json& array_or_empty(const Json& obj, const char* k) {
  static const Json kEmpty = Json::array();
  if (!obj.contains(k)) return kEmpty;
  EXPECT_TRUE(obj[k].is_array()) << k;
  return obj[k];
}

// want: the batch as receivers should see it; j: the parsed request. Keys are the signal's
// lowerCamelCase names ("resourceSpans", "scopeSpans", "spans", ...).
template <class ResourceT, class ScopeT, class ItemT, class ExpectItem>
void expect_json_envelopes(const std::vector<ResourceT>& want, const Json& j,
                           const char* resources_key, const char* scopes_key, const char* items_key,
                           std::vector<ScopeT> ResourceT::*scopes,
                           std::vector<ItemT> ScopeT::*items, ExpectItem expect_item) {
  expect_camel_case_keys(j);
  ASSERT_TRUE(j.is_object() && j.contains(resources_key));
  const Json& got = j[resources_key];
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t r = 0; r < want.size(); ++r) {
    const Json& rg = got[r];
    const Resource& resource = want[r].resource;
    expect_attributes(resource.attributes, rg["resource"], "resource");
    EXPECT_EQ(u32_number(rg["resource"], "droppedAttributesCount"),
              resource.dropped_attributes_count);
    EXPECT_EQ(str_or_empty(rg, "schemaUrl"), resource.schema_url);
    const std::vector<ScopeT>& want_scopes = want[r].*scopes;
    ASSERT_EQ(rg[scopes_key].size(), want_scopes.size());
    for (std::size_t s = 0; s < want_scopes.size(); ++s) {
      const Json& sg = rg[scopes_key][s];
      const ScopeT& ws = want_scopes[s];
      EXPECT_EQ(str_or_empty(sg["scope"], "name"), ws.scope.name);
      EXPECT_EQ(str_or_empty(sg["scope"], "version"), ws.scope.version);
      expect_attributes(ws.scope.attributes, sg["scope"], "scope");
      EXPECT_EQ(str_or_empty(sg, "schemaUrl"), ws.schema_url);
      const std::vector<ItemT>& want_items = ws.*items;
      ASSERT_EQ(sg[items_key].size(), want_items.size());
      for (std::size_t i = 0; i < want_items.size(); ++i)
        expect_item(want_items[i], sg[items_key][i]);
    }
  }
}

}  // namespace loadgen::otel::testing
