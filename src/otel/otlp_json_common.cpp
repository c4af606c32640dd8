// Shared OTLP/JSON encoding pieces (see otlp_json_common.hpp).
#include "otel/otlp_json_common.hpp"

#include <cmath>
#include <type_traits>
#include <variant>

#include "core/json_string.hpp"
#include "otel/protobuf_writer.hpp"

namespace loadgen::otel::json_enc {

void json_double(std::string& o, double v) {
  if (std::isnan(v)) {
    o += "\"NaN\"";
  } else if (std::isinf(v)) {
    o += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if (v == 0 && std::signbit(v)) {
    o += "-0.0";  // "-0" would read back as integer 0 in parsers that keep integers apart
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    o.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
}

void attributes(std::string& o, bool& first, std::string_view name, const Attributes& attrs) {
  object_array_member(o, first, name, attrs, [](std::string& out, bool& f, const Attribute& a) {
    key(out, f, "key");
    core::append_json_string(out, a.key);
    key(out, f, "value");
    any_value(out, a.value);
  });
}

void any_value(std::string& o, const AttrValue& value) {
  std::visit(
      [&o](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          o += "{\"stringValue\":";
          core::append_json_string(o, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          o += v ? "{\"boolValue\":true" : "{\"boolValue\":false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          o += "{\"intValue\":";
          quoted_int(o, v);
        } else if constexpr (std::is_same_v<T, double>) {
          o += "{\"doubleValue\":";
          json_double(o, v);
        } else {
          static_assert(std::is_same_v<T, AttrArray>);
          o += "{\"arrayValue\":{";
          if (!v.empty()) {
            o += "\"values\":[";
            for (std::size_t i = 0; i < v.size(); ++i) {
              if (i != 0) o += ',';
              any_value(o, v[i]);
            }
            o += ']';
          }
          o += '}';
        }
        o += '}';
      },
      value.v);
}

void string_member(std::string& o, bool& first, std::string_view name, const std::string& s) {
  if (s.empty()) return;
  key(o, first, name);
  core::append_json_string(o, s);
}

void uint64_member(std::string& o, bool& first, std::string_view name, std::uint64_t v) {
  if (v == 0) return;
  key(o, first, name);
  quoted_int(o, v);
}

void double_member(std::string& o, bool& first, std::string_view name, double v) {
  if (double_bits(v) == 0) return;
  key(o, first, name);
  json_double(o, v);
}

void optional_double_member(std::string& o, bool& first, std::string_view name,
                            const std::optional<double>& v) {
  if (!v) return;
  key(o, first, name);
  json_double(o, *v);
}

void uint64_array_member(std::string& o, bool& first, std::string_view name,
                         std::span<const std::uint64_t> v) {
  scalar_array_member(o, first, name, v, quoted_int<std::uint64_t>);
}

void double_array_member(std::string& o, bool& first, std::string_view name,
                         std::span<const double> v) {
  scalar_array_member(o, first, name, v, json_double);
}

void resource_member(std::string& o, bool& first, const Resource& r) {
  object_member(o, first, "resource", [&r](std::string& out, bool& f) {
    attributes(out, f, "attributes", r.attributes);
    number_member(out, f, "droppedAttributesCount", r.dropped_attributes_count);
  });
}

void scope_member(std::string& o, bool& first, const InstrumentationScope& s) {
  object_member(o, first, "scope", [&s](std::string& out, bool& f) {
    string_member(out, f, "name", s.name);
    string_member(out, f, "version", s.version);
    attributes(out, f, "attributes", s.attributes);
  });
}

}  // namespace loadgen::otel::json_enc
