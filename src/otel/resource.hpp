// The SDK resource for every signal (resource/sdk.md, semantic conventions v1.44): service name
// and OTEL_RESOURCE_ATTRIBUTES from the environment the app passes in, telemetry.sdk.* naming
// this project, and host/process facts the app gathered. No getenv or syscalls in here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otel/span_data.hpp"

namespace loadgen::otel {

// A non-OpenTelemetry SDK MUST NOT call itself "opentelemetry" (resource semconv).
inline constexpr std::string_view kSdkName = "loadgen";
inline constexpr std::string_view kSdkLanguage = "cpp";
inline constexpr std::string_view kSchemaUrl = "https://opentelemetry.io/schemas/1.44.0";

// Facts the app gathers once at start-up. Empty strings / zero pid are left out.
struct ResourceFacts {
  std::string sdk_version;          // telemetry.sdk.version (our version)
  std::string service_version;      // service.version
  std::string service_instance_id;  // service.instance.id: a UUID v4 per process
  std::string host_name;            // host.name
  std::string host_arch;            // host.arch, e.g. "amd64"
  std::string os_type;              // os.type, e.g. "linux"
  std::string os_description;       // os.description, e.g. uname output
  std::int64_t process_pid = 0;     // process.pid
  std::string executable_name;      // process.executable.name
  std::string executable_path;      // process.executable.path
  std::string runtime_name;         // process.runtime.name, e.g. "libstdc++"
  std::string runtime_version;      // process.runtime.version, e.g. "12"
  std::string runtime_description;  // process.runtime.description, e.g. "GCC 12.2.0"
};

// Builds the resource. service.name: OTEL_SERVICE_NAME, else service.name from
// OTEL_RESOURCE_ATTRIBUTES, else default_service_name, else "unknown_service:<executable>".
// OTEL_RESOURCE_ATTRIBUTES overrides the gathered host/process/service facts (they are
// detector output, the variable is the user's word) but never telemetry.sdk.*, which always
// names this SDK. Attributes: service.name first, then sorted by key. schema_url = kSchemaUrl.
// Problems (an undecodable OTEL_RESOURCE_ATTRIBUTES, discarded whole) are appended to warnings.
Resource make_resource(const std::map<std::string, std::string>& env,
                       std::string_view default_service_name, const ResourceFacts& facts,
                       std::vector<std::string>* warnings);

// Parses an OTEL_RESOURCE_ATTRIBUTES value: "k1=v1,k2=v2", OWS trimmed around keys and values,
// empty members skipped, keys and values %XX-decoded (',' '=' and non-baggage-octets must be
// encoded, others may be). Any error (member without '=', empty key, malformed %XX, a raw byte
// outside baggage-octet, invalid UTF-8 after decoding) → nullopt and *error says which member.
// A repeated key keeps the later value.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_resource_attributes(
    std::string_view value, std::string* error);

}  // namespace loadgen::otel
