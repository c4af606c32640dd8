// Pieces of OTLP/JSON encoding that every signal shares (internal to otel, used by
// otlp_json*.cpp): the OTLP/JSON value rules (lowerCamelCase keys, hex ids, 64-bit integers as
// decimal strings, NaN/Infinity as strings), AnyValue/KeyValue, Resource, InstrumentationScope
// and the Resource<X>/Scope<X> envelope walk. Every *_member helper omits the field's default
// value, as the protobuf encoder does (explicit-presence and oneof fields excepted).
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otel/common.hpp"
#include "otel/ids.hpp"
#include "otel/otlp_envelope.hpp"
#include "otel/otlp_json.hpp"

namespace loadgen::otel::json_enc {

inline constexpr char kHex[] = "0123456789abcdef";

// Emits `,"name":` (or `"name":` for an object's first member); `first` belongs to the object.
inline void key(std::string& o, bool& first, std::string_view name) {
  if (!first) o += ',';
  first = false;
  o += '"';
  o += name;
  o += "\":";
}

// trace/span ids: lowercase hex strings (OTLP/JSON deviation from proto3's base64).
template <std::size_t N>
void hex_id(std::string& o, const std::array<std::uint8_t, N>& id) {
  char buf[2 * N + 2];
  buf[0] = '"';
  for (std::size_t i = 0; i < N; ++i) {
    buf[1 + 2 * i] = kHex[id[i] >> 4];
    buf[2 + 2 * i] = kHex[id[i] & 0xF];
  }
  buf[2 * N + 1] = '"';
  o.append(buf, sizeof buf);
}

// 64-bit integers (int64, uint64, fixed64, sfixed64) are decimal strings in OTLP/JSON.
template <class Int>
void quoted_int(std::string& o, Int v) {
  char buf[24];
  buf[0] = '"';
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 1, v);
  *r.ptr++ = '"';
  o.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// 32-bit integers and enums are JSON numbers.
template <class Int>
void plain_int(std::string& o, Int v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// Shortest round-trip number; NaN/±Infinity as "NaN"/"Infinity"/"-Infinity".
void json_double(std::string& o, double v);

void any_value(std::string& o, const AttrValue& value);
void attributes(std::string& o, bool& first, std::string_view name, const Attributes& attrs);

void string_member(std::string& o, bool& first, std::string_view name, const std::string& s);
// 32-bit integers, enums: JSON numbers.
template <class Int>
void number_member(std::string& o, bool& first, std::string_view name, Int v) {
  if (v == 0) return;
  key(o, first, name);
  plain_int(o, v);
}
// uint64/fixed64 (times, counts): quoted.
void uint64_member(std::string& o, bool& first, std::string_view name, std::uint64_t v);
// double: omitted when +0.0 (proto3's default; -0.0 is written).
void double_member(std::string& o, bool& first, std::string_view name, double v);
// `optional double`: written whenever set.
void optional_double_member(std::string& o, bool& first, std::string_view name,
                            const std::optional<double>& v);
// repeated fixed64/uint64: an array of decimal strings; repeated double: of numbers.
void uint64_array_member(std::string& o, bool& first, std::string_view name,
                         std::span<const std::uint64_t> v);
void double_array_member(std::string& o, bool& first, std::string_view name,
                         std::span<const double> v);

template <std::size_t N>
void id_member(std::string& o, bool& first, std::string_view name,
               const std::array<std::uint8_t, N>& id) {
  key(o, first, name);
  hex_id(o, id);
}
// Optional ids (parent span, log record, exemplar): omitted when all zero.
template <std::size_t N>
void id_member_if_valid(std::string& o, bool& first, std::string_view name,
                        const std::array<std::uint8_t, N>& id) {
  if (is_valid(id)) id_member(o, first, name, id);
}

// `"name":{...}`; write_members(o, first) writes the object's members.
template <class WriteMembers>
void object_member(std::string& o, bool& first, std::string_view name,
                   WriteMembers&& write_members) {
  key(o, first, name);
  o += '{';
  bool f = true;
  write_members(o, f);
  o += '}';
}

// `"name":[v,...]` of scalars, omitted when empty; write_one(o, v) writes one value.
template <class T, class WriteOne>
void scalar_array_member(std::string& o, bool& first, std::string_view name,
                         std::span<const T> values, WriteOne&& write_one) {
  if (values.empty()) return;
  key(o, first, name);
  o += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) o += ',';
    write_one(o, values[i]);
  }
  o += ']';
}

// `"name":[{...},...]` of the elements keep(element) accepts, written even when none is;
// write_one(o, first, element) writes one element's members into its braces.
template <class List, class Keep, class WriteOne>
void filtered_object_array(std::string& o, bool& first, std::string_view name, const List& list,
                           Keep&& keep, WriteOne&& write_one) {
  key(o, first, name);
  o += '[';
  bool first_element = true;
  for (const auto& element : list) {
    if (!keep(element)) continue;
    if (!first_element) o += ',';
    first_element = false;
    o += '{';
    bool f = true;
    write_one(o, f, element);
    o += '}';
  }
  o += ']';
}

// `"name":[{...},...]`, omitted when empty.
template <class T, class WriteOne>
void object_array_member(std::string& o, bool& first, std::string_view name,
                         const std::vector<T>& list, WriteOne&& write_one) {
  if (list.empty()) return;
  filtered_object_array(
      o, first, name, list, [](const T&) { return true; }, write_one);
}

// `"resource":{...}` and `"scope":{...}`, always present as the first member.
void resource_member(std::string& o, bool& first, const Resource& r);
void scope_member(std::string& o, bool& first, const InstrumentationScope& s);

// {"resource<X>":[{"resource":..,"scope<X>":[{"scope":..,"<items>":[..],"schemaUrl":..}],
// "schemaUrl":..}]} into `o` (cleared first). write_item(o, first, item) writes one item's
// members into its braces; this skips what Envelope<> says is not sendable.
template <class ResourceT, class WriteItem>
void encode_envelopes(const std::vector<ResourceT>& batch, std::string& o, WriteItem&& write_item) {
  using E = Envelope<ResourceT>;
  using Scope = typename E::Scope;
  o.clear();
  o += '{';
  bool top = true;
  filtered_object_array(o, top, E::kResourcesKey, batch, sendable_resource<ResourceT>,
                        [&write_item](std::string& out, bool& fr, const ResourceT& r) {
                          resource_member(out, fr, r.resource);
                          filtered_object_array(
                              out, fr, E::kScopesKey, E::scopes(r), sendable_scope<ResourceT>,
                              [&write_item](std::string& out2, bool& fs, const Scope& s) {
                                scope_member(out2, fs, s.scope);
                                filtered_object_array(out2, fs, E::kItemsKey, E::items(s),
                                                      E::sendable, write_item);
                                string_member(out2, fs, "schemaUrl", s.schema_url);
                              });
                          string_member(out, fr, "schemaUrl", r.resource.schema_url);
                        });
  o += '}';
}

}  // namespace loadgen::otel::json_enc
