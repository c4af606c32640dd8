// Internal to the otel module: small helpers the OTEL_* readers share (env_config.cpp, the
// general settings; env_otlp.cpp, the OTLP exporter's endpoint, headers and files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "otel/env_config.hpp"

namespace loadgen::otel::detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

inline std::string quoted(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

// Splits a comma list into trimmed, non-empty, lower-cased items.
inline std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    const std::string_view item = trim(s.substr(pos, comma - pos));
    if (!item.empty()) out.push_back(lower(item));
    pos = comma + 1;
  }
  return out;
}

inline std::string signal_var(Signal s, std::string_view option) {
  return "OTEL_EXPORTER_OTLP_" + std::string(signal_env_name(s)) + "_" + std::string(option);
}
inline std::string generic_var(std::string_view option) {
  return "OTEL_EXPORTER_OTLP_" + std::string(option);
}

// A file exporter whose file can never be opened is a configuration error (env_otlp.cpp).
core::Status check_otlp_file(const ExporterSelection& sel, bool sdk_disabled);

// The OTLP exporter settings of one signal, into `out`. An unusable endpoint is an error only
// when the OTLP exporter is in use (the SDK enabled and "otlp" selected); otherwise a warning.
core::Status read_otlp_config(const Env& env, Signal signal, bool sdk_disabled,
                              const ExporterSelection& exporters, OtlpExporterConfig& out,
                              std::vector<std::string>* warnings);

}  // namespace loadgen::otel::detail
