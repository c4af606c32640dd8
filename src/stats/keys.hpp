// Internal to stats: owned string keys with string_view lookups (C++20 heterogeneous unordered
// lookup), so that a hot-path lookup of an already-seen key allocates nothing.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace loadgen::stats::detail {

// N strings owned, compared and hashed as a tuple; KeyView<N> is the borrowed form.
template <std::size_t N>
struct KeyView {
  std::array<std::string_view, N> parts;
};

template <std::size_t N>
struct Key {
  std::array<std::string, N> parts;
  explicit Key(const KeyView<N>& v) {
    for (std::size_t i = 0; i < N; ++i) parts[i] = std::string(v.parts[i]);
  }
  KeyView<N> view() const {
    KeyView<N> v;
    for (std::size_t i = 0; i < N; ++i) v.parts[i] = parts[i];
    return v;
  }
};

template <std::size_t N>
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const KeyView<N>& v) const {
    std::size_t h = 0;
    for (const auto& p : v.parts) {
      // boost::hash_combine's mixing step
      h ^= std::hash<std::string_view>{}(p) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return h;
  }
  std::size_t operator()(const Key<N>& k) const { return (*this)(k.view()); }
};

template <std::size_t N>
struct KeyEq {
  using is_transparent = void;
  static bool eq(const KeyView<N>& a, const KeyView<N>& b) { return a.parts == b.parts; }
  bool operator()(const Key<N>& a, const Key<N>& b) const { return a.parts == b.parts; }
  bool operator()(const KeyView<N>& a, const Key<N>& b) const { return eq(a, b.view()); }
  bool operator()(const Key<N>& a, const KeyView<N>& b) const { return eq(a.view(), b); }
  bool operator()(const KeyView<N>& a, const KeyView<N>& b) const { return eq(a, b); }
};

}  // namespace loadgen::stats::detail
