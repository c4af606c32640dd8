#include "flags/ofrep_protocol.hpp"

#include <cstddef>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>

namespace loadgen::flags {

namespace {

using Json = nlohmann::json;

// A flag answer is a handful of fields; anything much bigger or deeper is not OFREP, and
// nlohmann's dump() recurses, so deep nesting is refused before it is parsed.
constexpr std::size_t kMaxBody = 1024 * 1024;
constexpr int kMaxDepth = 64;

bool nesting_within(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Reads an optional string member; false when it is present with another type.
bool optional_string(const Json& obj, const char* name, std::string& out) {
  const auto it = obj.find(name);
  if (it == obj.end()) return true;
  if (!it->is_string()) return false;
  out = it->get_ref<const std::string&>();
  return true;
}

OfrepResult malformed(std::string details) {
  OfrepResult r;
  r.error = EvalError::kMalformed;
  r.error_code = "PARSE_ERROR";
  r.error_details = std::move(details);
  return r;
}

OfrepResult http_status_error(int http_status, std::string details) {
  OfrepResult r;
  r.error = EvalError::kHttpStatus;
  r.error_code = "GENERAL";
  r.error_details = "HTTP " + std::to_string(http_status);
  if (!details.empty()) r.error_details += ": " + details;
  return r;
}

// evaluationFailure / flagNotFound: {key, errorCode, errorDetails}.
OfrepResult failure_from(const Json& obj, OfrepResult r) {
  r.error_code = obj.at("errorCode").get_ref<const std::string&>();
  r.error = r.error_code == "FLAG_NOT_FOUND" ? EvalError::kFlagNotFound : EvalError::kFlagError;
  if (r.error_code.empty()) r.error_code = "GENERAL";
  return r;
}

OfrepResult parse_checked(int http_status, std::string_view body) {
  const bool success_status = http_status >= 200 && http_status < 300;
  if (body.size() > kMaxBody) {
    return success_status ? malformed("body larger than 1 MiB")
                          : http_status_error(http_status, "body larger than 1 MiB");
  }
  if (!nesting_within(body, kMaxDepth)) {
    return success_status ? malformed("JSON nested deeper than 64 levels")
                          : http_status_error(http_status, {});
  }
  const Json doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    // 401, 403, 429 have no body in the spec; a proxy's HTML error page is no OFREP answer.
    if (!success_status) return http_status_error(http_status, {});
    return malformed(doc.is_discarded() ? "body is not JSON" : "body is not a JSON object");
  }

  OfrepResult r;
  std::string error_code;
  if (!optional_string(doc, "key", r.key)) return malformed("\"key\" is not a string");
  if (!optional_string(doc, "errorCode", error_code)) {
    return malformed("\"errorCode\" is not a string");
  }
  if (!optional_string(doc, "errorDetails", r.error_details)) {
    return malformed("\"errorDetails\" is not a string");
  }
  if (doc.contains("errorCode")) return failure_from(doc, std::move(r));
  if (!success_status) {
    // generalErrorResponse {errorDetails} (500) or an error answer without errorCode.
    return http_status_error(http_status, r.error_details);
  }
  r.error_details.clear();

  // evaluationSuccess: key, reason, variant (strings), metadata (object), value.
  if (!optional_string(doc, "variant", r.variant)) return malformed("\"variant\" is not a string");
  if (!optional_string(doc, "reason", r.reason)) return malformed("\"reason\" is not a string");
  const auto meta = doc.find("metadata");
  if (meta != doc.end() && !meta->is_object()) return malformed("\"metadata\" is not an object");

  const auto v = doc.find("value");
  if (v == doc.end()) return r;  // codeDefaultFlag (ADR 0006): use the code default
  switch (v->type()) {
    case Json::value_t::boolean:
      r.value = v->get<bool>();
      break;
    case Json::value_t::number_integer:
      r.value = v->get<std::int64_t>();
      break;
    case Json::value_t::number_unsigned: {
      const auto u = v->get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        r.value = static_cast<std::int64_t>(u);
      } else {
        r.value = static_cast<double>(u);
      }
      break;
    }
    case Json::value_t::number_float:
      r.value = v->get<double>();
      break;
    case Json::value_t::string:
      r.value = v->get<std::string>();
      break;
    case Json::value_t::object:
    case Json::value_t::array:
      r.value = JsonText{v->dump(-1, ' ', false, Json::error_handler_t::replace)};
      break;
    case Json::value_t::null:
    case Json::value_t::binary:
    case Json::value_t::discarded:
      return malformed("\"value\" is null");
  }
  return r;
}

}  // namespace

std::string_view to_string(EvalError e) {
  switch (e) {
    case EvalError::kNone:
      return "none";
    case EvalError::kTransport:
      return "transport";
    case EvalError::kTimeout:
      return "timeout";
    case EvalError::kHttpStatus:
      return "http_status";
    case EvalError::kMalformed:
      return "malformed";
    case EvalError::kFlagNotFound:
      return "flag_not_found";
    case EvalError::kFlagError:
      return "flag_error";
    case EvalError::kTypeMismatch:
      return "type_mismatch";
    case EvalError::kConfig:
      return "config";
  }
  return "unknown";
}

OfrepResult parse_ofrep_response(int http_status, std::string_view body) {
  // The JSON library may throw (allocation, dump of odd input); nothing crosses this boundary.
  try {
    return parse_checked(http_status, body);
  } catch (const std::exception& e) {
    return malformed(std::string("cannot parse the body: ") + e.what());
  }
}

std::string ofrep_evaluate_path(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "/ofrep/v1/evaluate/flags/";
  out.reserve(out.size() + key.size() * 3);
  // A key "." or ".." would be a dot segment (RFC 3986 §3.3, §5.2.4): encode its dots too.
  const bool dots_only = key == "." || key == "..";
  for (const char c : key) {
    const auto b = static_cast<unsigned char>(c);
    const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
                            (b >= '0' && b <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved && !dots_only) {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0x0F];
    }
  }
  return out;
}

std::string ofrep_request_body(std::string_view targeting_key) {
  Json context = Json::object();
  if (!targeting_key.empty()) context["targetingKey"] = std::string(targeting_key);
  Json body = Json::object();
  body["context"] = std::move(context);
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace loadgen::flags
