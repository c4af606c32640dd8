// FlagSource: feature flags as scenarios see them (OpenFeature-style typed evaluation).
// The flags module implements it over flagd's OFREP API; scenarios only see this seam.
// Contract: called from a user's coroutine on its worker thread; one instance per worker;
// never throws and never stalls a user for long: on any error (flagd down, malformed answer,
// flag missing, wrong type) it returns the default and reports the problem itself.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/task.hpp"

namespace loadgen::scenario {

class FlagSource {
 public:
  virtual core::Task<std::int64_t> int_value(std::string_view key, std::int64_t default_value) = 0;
  virtual core::Task<bool> bool_value(std::string_view key, bool default_value) = 0;

 protected:
  ~FlagSource() = default;
};

}  // namespace loadgen::scenario
