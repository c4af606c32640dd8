// Resource construction from the environment and gathered facts.
#include "otel/resource.hpp"

#include <algorithm>

#include "core/utf8.hpp"
#include "otel/baggage.hpp"

namespace loadgen::otel {
namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool decode_part(std::string_view raw, std::string& out) {
  if (!std::all_of(raw.begin(), raw.end(),
                   [](char c) { return is_baggage_octet(static_cast<unsigned char>(c)); })) {
    return false;
  }
  return percent_decode(raw, out) && core::is_valid_utf8(out);
}

std::string env_value(const std::map<std::string, std::string>& env, const char* name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_resource_attributes(
    std::string_view value, std::string* error) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view member = trim_ows(value.substr(pos, comma - pos));
    pos = comma + 1;
    if (member.empty()) continue;
    auto fail = [&](const char* why) {
      if (error != nullptr) *error = std::string(why) + " in member '" + std::string(member) + "'";
      return std::nullopt;
    };
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) return fail("missing '='");
    std::string key;
    std::string val;
    if (!decode_part(trim_ows(member.substr(0, eq)), key)) return fail("bad encoding of the key");
    if (!decode_part(trim_ows(member.substr(eq + 1)), val))
      return fail("bad encoding of the value");
    if (key.empty()) return fail("empty key");
    const auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == key; });
    if (it != out.end()) {
      it->second = std::move(val);
    } else {
      out.emplace_back(std::move(key), std::move(val));
    }
  }
  return out;
}

Resource make_resource(const std::map<std::string, std::string>& env,
                       std::string_view default_service_name, const ResourceFacts& facts,
                       std::vector<std::string>* warnings) {
  // key → value, later writes win; ordered by key for a stable output.
  std::map<std::string, AttrValue> attrs;
  auto put = [&](std::string_view key, std::string_view v) {
    if (!v.empty()) attrs[std::string(key)] = AttrValue{std::string(v)};
  };
  put("service.version", facts.service_version);
  put("service.instance.id", facts.service_instance_id);
  put("host.name", facts.host_name);
  put("host.arch", facts.host_arch);
  put("os.type", facts.os_type);
  put("os.description", facts.os_description);
  if (facts.process_pid != 0) attrs["process.pid"] = AttrValue{facts.process_pid};
  put("process.executable.name", facts.executable_name);
  put("process.executable.path", facts.executable_path);
  put("process.runtime.name", facts.runtime_name);
  put("process.runtime.version", facts.runtime_version);
  put("process.runtime.description", facts.runtime_description);

  std::string service_name;
  const std::string raw = env_value(env, "OTEL_RESOURCE_ATTRIBUTES");
  if (!raw.empty()) {
    std::string error;
    if (auto parsed = parse_resource_attributes(raw, &error)) {
      for (auto& [k, v] : *parsed) {
        if (k == "service.name") {
          service_name = v;
        } else if (k.rfind("telemetry.sdk.", 0) != 0) {
          attrs[k] = AttrValue{v};
        }
      }
    } else if (warnings != nullptr) {
      warnings->push_back("OTEL_RESOURCE_ATTRIBUTES ignored: " + error +
                          " (',' '=' and non-ASCII must be percent-encoded)");
    }
  }
  if (const std::string name = env_value(env, "OTEL_SERVICE_NAME"); !name.empty()) {
    service_name = name;
  }
  if (service_name.empty()) service_name = std::string(default_service_name);
  if (service_name.empty()) {
    service_name = facts.executable_name.empty() ? "unknown_service"
                                                 : "unknown_service:" + facts.executable_name;
  }
  put("telemetry.sdk.name", kSdkName);
  put("telemetry.sdk.language", kSdkLanguage);
  put("telemetry.sdk.version", facts.sdk_version);

  Resource resource;
  resource.schema_url = std::string(kSchemaUrl);
  resource.attributes.reserve(attrs.size() + 1);
  resource.attributes.push_back({"service.name", AttrValue{service_name}});
  for (auto& [k, v] : attrs) resource.attributes.push_back({k, std::move(v)});
  return resource;
}

}  // namespace loadgen::otel
