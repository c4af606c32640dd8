// The one version of loadgen: `--version`, service.version, telemetry.sdk.version, the
// instrumentation scope version and the OTLP exporters' User-Agent all read it, so they agree.
#pragma once

#include <string_view>

namespace loadgen::core {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace loadgen::core
