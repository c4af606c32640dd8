// Method names (RFC 9110 §9.1: method tokens are case-sensitive on the wire; we accept any case
// from users and always send the uppercase standard form).
#include "http/method.hpp"

#include <array>
#include <cstddef>

namespace loadgen::http {

namespace {

constexpr std::array<std::string_view, 7> kNames = {"GET",    "HEAD",  "POST",   "PUT",
                                                    "DELETE", "PATCH", "OPTIONS"};

bool iequals_upper(std::string_view s, std::string_view upper) {
  if (s.size() != upper.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kGet:
      return kNames[0];
    case Method::kHead:
      return kNames[1];
    case Method::kPost:
      return kNames[2];
    case Method::kPut:
      return kNames[3];
    case Method::kDelete:
      return kNames[4];
    case Method::kPatch:
      return kNames[5];
    case Method::kOptions:
      return kNames[6];
  }
  return "GET";
}

std::optional<Method> parse_method(std::string_view s) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (iequals_upper(s, kNames[i])) return static_cast<Method>(i);
  }
  return std::nullopt;
}

}  // namespace loadgen::http
