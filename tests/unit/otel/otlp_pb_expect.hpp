// Checks of OTLP protobuf output as decoded by libprotobuf (our own .proto files), shared by
// the trace, metric and log encoder tests: AnyValue/KeyValue, the Resource<X>/Scope<X>
// envelopes, and "no byte we wrote is unknown to the .proto".
#pragma once

#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "otel/common.hpp"
#include "otel/protobuf_writer.hpp"
#include "otlp_common.pb.h"
#include "otlp_test_util.hpp"

namespace loadgen::otel::testing {

namespace pb_common = ::opentelemetry::proto::common::v1;

inline std::string as_bytes(const std::uint8_t* p, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}
template <class Id>
std::string id_bytes(const Id& id) {
  return as_bytes(id.data(), id.size());
}
// Optional ids (parent span, log record, exemplar): all zero is not written, reads back empty.
template <class Id>
std::string optional_id_bytes(const Id& id) {
  return id == Id{} ? std::string() : id_bytes(id);
}

inline std::uint64_t bits(double d) {
  std::uint64_t b = 0;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

inline void expect_value(const AttrValue& want, const pb_common::AnyValue& got,
                         const std::string& where) {
  SCOPED_TRACE(where);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          ASSERT_EQ(got.value_case(), pb_common::AnyValue::kStringValue);
          EXPECT_EQ(got.string_value(), sanitized(v));
        } else if constexpr (std::is_same_v<T, bool>) {
          ASSERT_EQ(got.value_case(), pb_common::AnyValue::kBoolValue);
          EXPECT_EQ(got.bool_value(), v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          ASSERT_EQ(got.value_case(), pb_common::AnyValue::kIntValue);
          EXPECT_EQ(got.int_value(), v);
        } else if constexpr (std::is_same_v<T, double>) {
          ASSERT_EQ(got.value_case(), pb_common::AnyValue::kDoubleValue);
          EXPECT_EQ(bits(got.double_value()), bits(v));  // exact, incl. -0.0 and NaN
        } else {
          ASSERT_EQ(got.value_case(), pb_common::AnyValue::kArrayValue);
          ASSERT_EQ(static_cast<std::size_t>(got.array_value().values_size()), v.size());
          for (std::size_t i = 0; i < v.size(); ++i) {
            expect_value(v[i], got.array_value().values(static_cast<int>(i)),
                         where + "[" + std::to_string(i) + "]");
          }
        }
      },
      want.v);
}

inline void expect_attributes(const Attributes& want,
                              const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& got,
                              const std::string& where) {
  ASSERT_EQ(static_cast<std::size_t>(got.size()), want.size()) << where;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& kv = got.Get(static_cast<int>(i));
    EXPECT_EQ(kv.key(), want[i].key) << where;
    ASSERT_TRUE(kv.has_value()) << where << " " << want[i].key;
    expect_value(want[i].value, kv.value(), where + "." + want[i].key);
  }
}

// want: the batch as receivers should see it (without_empty(...)); got: the decoded
// repeated Resource<X>. pb_scopes(resource_x) and pb_items(scope_x) name the signal's
// repeated fields; expect_item(want_item, got_item) checks one span / metric / log record.
template <class ResourceT, class ScopeT, class ItemT, class PbResources, class PbScopes,
          class PbItems, class ExpectItem>
void expect_envelopes(const std::vector<ResourceT>& want, const PbResources& got,
                      std::vector<ScopeT> ResourceT::*scopes, std::vector<ItemT> ScopeT::*items,
                      PbScopes pb_scopes, PbItems pb_items, ExpectItem expect_item) {
  ASSERT_EQ(static_cast<std::size_t>(got.size()), want.size());
  for (std::size_t r = 0; r < want.size(); ++r) {
    const auto& rg = got.Get(static_cast<int>(r));
    const Resource& resource = want[r].resource;
    ASSERT_TRUE(rg.has_resource());
    expect_attributes(resource.attributes, rg.resource().attributes(), "resource");
    EXPECT_EQ(rg.resource().dropped_attributes_count(), resource.dropped_attributes_count);
    EXPECT_EQ(rg.schema_url(), resource.schema_url);
    const std::vector<ScopeT>& want_scopes = want[r].*scopes;
    const auto& got_scopes = pb_scopes(rg);
    ASSERT_EQ(static_cast<std::size_t>(got_scopes.size()), want_scopes.size());
    for (std::size_t s = 0; s < want_scopes.size(); ++s) {
      const auto& sg = got_scopes.Get(static_cast<int>(s));
      const ScopeT& ws = want_scopes[s];
      ASSERT_TRUE(sg.has_scope());
      EXPECT_EQ(sg.scope().name(), ws.scope.name);
      EXPECT_EQ(sg.scope().version(), ws.scope.version);
      expect_attributes(ws.scope.attributes, sg.scope().attributes(), "scope");
      EXPECT_EQ(sg.schema_url(), ws.schema_url);
      const std::vector<ItemT>& want_items = ws.*items;
      const auto& got_items = pb_items(sg);
      ASSERT_EQ(static_cast<std::size_t>(got_items.size()), want_items.size());
      for (std::size_t i = 0; i < want_items.size(); ++i)
        expect_item(want_items[i], got_items.Get(static_cast<int>(i)));
    }
  }
}

// Every byte we wrote maps to a field of the .proto (with the right wire type), recursively.
inline void expect_no_unknown_fields(const google::protobuf::Message& m) {
  const auto* refl = m.GetReflection();
  EXPECT_EQ(refl->GetUnknownFields(m).field_count(), 0) << m.GetTypeName();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(m, f); ++i)
        expect_no_unknown_fields(refl->GetRepeatedMessage(m, f, i));
    } else {
      expect_no_unknown_fields(refl->GetMessage(m, f));
    }
  }
}

// libprotobuf re-serializes in field order with defaults omitted: our bytes must be identical.
template <class PbMessage>
void expect_canonical(const std::string& bytes) {
  PbMessage m;
  ASSERT_TRUE(m.ParseFromString(bytes));
  std::string again;
  ASSERT_TRUE(m.SerializeToString(&again));
  EXPECT_EQ(again, bytes);
}

}  // namespace loadgen::otel::testing
