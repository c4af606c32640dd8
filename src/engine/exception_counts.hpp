// ExceptionCounts: the tasks that threw (Locust's runner.exceptions table), keyed by
// (user class, task, message). Filled by workers, merged by the engine, copied into a
// RunnerSnapshot for the web API.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace loadgen::engine {

using ExceptionCounts = std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t>;

}  // namespace loadgen::engine
