// HTTP request methods (RFC 9110 §9) used by the load generator, with text conversion.
// Shared by the request writer, the client and scenario parsing.
#pragma once

#include <optional>
#include <string_view>

namespace loadgen::http {

enum class Method { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions };

// The method token as sent on the wire: "GET", "HEAD", ...
std::string_view to_string(Method m);

// Case-insensitive ("get" and "GET" both give kGet); nullopt for anything else.
std::optional<Method> parse_method(std::string_view s);

}  // namespace loadgen::http
