// What a receiver should see of a test batch, for any OTLP signal: strings made valid UTF-8,
// and the batch without the empty envelopes (Scope<X> without sendable items, Resource<X>
// without such scopes) that the encoders must skip, written apart from the encoders' own rule
// (otel/otlp_envelope.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/utf8.hpp"

namespace loadgen::otel::testing {

// Our model's strings as a conforming receiver must see them (ill-formed UTF-8 → U+FFFD).
inline std::string sanitized(const std::string& s) {
  std::string out;
  core::append_utf8_sanitized(out, s);
  return out;
}

template <class ResourceT, class ScopeT, class ItemT, class Keep>
std::vector<ResourceT> without_empty(std::vector<ResourceT> batch,
                                     std::vector<ScopeT> ResourceT::*scopes,
                                     std::vector<ItemT> ScopeT::*items, Keep keep) {
  std::vector<ResourceT> out;
  for (ResourceT& r : batch) {
    std::vector<ScopeT> kept;
    for (ScopeT& s : r.*scopes) {
      std::vector<ItemT> kept_items;
      for (ItemT& item : s.*items) {
        if (keep(item)) kept_items.push_back(std::move(item));
      }
      if (kept_items.empty()) continue;
      s.*items = std::move(kept_items);
      kept.push_back(std::move(s));
    }
    if (kept.empty()) continue;
    r.*scopes = std::move(kept);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace loadgen::otel::testing
