// Shared OTLP protobuf encoding pieces (see otlp_proto_common.hpp).
#include "otel/otlp_proto_common.hpp"

#include <type_traits>
#include <variant>

namespace loadgen::otel::proto_enc {

void write_any_value(ProtobufWriter& w, const AttrValue& value) {
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          w.string_field(1, v);  // string_value
        } else if constexpr (std::is_same_v<T, bool>) {
          w.bool_field(2, v);  // bool_value
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          w.int64_field(3, v);  // int_value
        } else if constexpr (std::is_same_v<T, double>) {
          w.double_field(4, v);  // double_value
        } else {
          static_assert(std::is_same_v<T, AttrArray>);
          const auto arr = w.begin_message(5, v.size() < 8 ? 1 : 2);  // array_value: ArrayValue
          for (const AttrValue& element : v) {
            const auto any = w.begin_message(1);  // ArrayValue.values
            write_any_value(w, element);
            w.end_message(any);
          }
          w.end_message(arr);
        }
      },
      value.v);
}

void write_attributes(ProtobufWriter& w, std::uint32_t field, const Attributes& attrs) {
  for (const Attribute& a : attrs) {
    const auto kv = w.begin_message(field);
    if (!a.key.empty()) w.string_field(1, a.key);
    const auto any = w.begin_message(2);
    write_any_value(w, a.value);
    w.end_message(any);
    w.end_message(kv);
  }
}

void write_resource(ProtobufWriter& w, const Resource& r) {
  const auto m = w.begin_message(1, 2);
  write_attributes(w, 1, r.attributes);
  write_uint32_if(w, 2, r.dropped_attributes_count);
  w.end_message(m);
}

void write_scope(ProtobufWriter& w, const InstrumentationScope& s) {
  const auto m = w.begin_message(1);
  write_string_if(w, 1, s.name);
  write_string_if(w, 2, s.version);
  write_attributes(w, 3, s.attributes);
  w.end_message(m);
}

}  // namespace loadgen::otel::proto_enc
