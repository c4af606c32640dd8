// Pieces of OTLP protobuf encoding that every signal shares (internal to otel, used by
// otlp_proto*.cpp): AnyValue/KeyValue, Resource, InstrumentationScope, "omit the default"
// field helpers, and the Resource<X>/Scope<X> envelope walk. Field numbers are
// opentelemetry-proto v1.x's (common/v1/common.proto, resource/v1/resource.proto).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "otel/common.hpp"
#include "otel/ids.hpp"
#include "otel/otlp_envelope.hpp"
#include "otel/protobuf_writer.hpp"
#include "otel/span_data.hpp"

namespace loadgen::otel::proto_enc {

// AnyValue: oneof, so the set member is written even when it holds its type's default.
void write_any_value(ProtobufWriter& w, const AttrValue& value);
// repeated KeyValue {1 key, 2 value: AnyValue} as field `field`.
void write_attributes(ProtobufWriter& w, std::uint32_t field, const Attributes& attrs);

// proto3 implicit presence: a field equal to its default is not written.
inline void write_string_if(ProtobufWriter& w, std::uint32_t field, const std::string& s) {
  if (!s.empty()) w.string_field(field, s);
}
inline void write_uint32_if(ProtobufWriter& w, std::uint32_t field, std::uint32_t v) {
  if (v != 0) w.uint32_field(field, v);
}
inline void write_fixed64_if(ProtobufWriter& w, std::uint32_t field, std::uint64_t v) {
  if (v != 0) w.fixed64_field(field, v);
}
inline void write_fixed32_if(ProtobufWriter& w, std::uint32_t field, std::uint32_t v) {
  if (v != 0) w.fixed32_field(field, v);
}
inline void write_double_if(ProtobufWriter& w, std::uint32_t field, double v) {
  if (double_bits(v) != 0) w.double_field(field, v);
}
// `optional double` (explicit presence): written whenever set, 0.0 included.
inline void write_optional_double(ProtobufWriter& w, std::uint32_t field,
                                  const std::optional<double>& v) {
  if (v) w.double_field(field, *v);
}
// trace_id / span_id bytes, left out when all zero (invalid = not set).
template <class Id>
void write_id_if_valid(ProtobufWriter& w, std::uint32_t field, const Id& id) {
  if (is_valid(id)) w.bytes_field(field, id.data(), id.size());
}

// Span (trace.proto) fields 1..16, in order, of the message the caller opened.
void write_span(ProtobufWriter& w, const SpanData& s);

// Resource {1 attributes, 2 dropped_attributes_count} as field 1 of Resource<X>.
void write_resource(ProtobufWriter& w, const Resource& r);
// InstrumentationScope {1 name, 2 version, 3 attributes} as field 1 of Scope<X>.
void write_scope(ProtobufWriter& w, const InstrumentationScope& s);

// Export<X>ServiceRequest and <X>Data (same layout): field 1 = repeated Resource<X>, into `out`
// (cleared first). write_item(w, item) writes one item's fields; this writes its envelope
// (field 2 of Scope<X>), skipping what Envelope<> says is not sendable.
// write_more(w, scope) writes the scope's items beyond Envelope<>::items (ScopeSpans'
// compact CLIENT spans), each as field 2.
struct NoMoreItems {
  template <class Scope>
  void operator()(ProtobufWriter&, const Scope&) const {}
};
template <class ResourceT, class WriteItem, class WriteMore = NoMoreItems>
void encode_envelopes(const std::vector<ResourceT>& batch, std::string& out, WriteItem&& write_item,
                      WriteMore&& write_more = {}) {
  using E = Envelope<ResourceT>;
  out.clear();
  ProtobufWriter w(out);
  for (const ResourceT& r : batch) {
    if (!sendable_resource(r)) continue;
    const auto rm = w.begin_message(1, 3);
    write_resource(w, r.resource);
    for (const auto& s : E::scopes(r)) {
      if (!sendable_scope<ResourceT>(s)) continue;
      const auto sm = w.begin_message(2, 3);
      write_scope(w, s.scope);
      for (const auto& item : E::items(s)) {
        if (!E::sendable(item)) continue;
        const auto im = w.begin_message(2, 2);
        write_item(w, item);
        w.end_message(im);
      }
      write_more(w, s);
      write_string_if(w, 3, s.schema_url);  // Scope<X>.schema_url
      w.end_message(sm);
    }
    write_string_if(w, 3, r.resource.schema_url);  // Resource<X>.schema_url
    w.end_message(rm);
  }
}

}  // namespace loadgen::otel::proto_enc
