// shopsim's command line: ports, flag file, threads, per-route latency and error rates, seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "routes_table.hpp"

namespace loadgen::shopsim {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;        // 0: a free port
  std::uint16_t ofrep_port = 0;  // 0: a free port
  std::string flags_file;        // empty: no file (flags only via POST /__flags)
  std::string port_file;         // where to write the PORT/OFREP_PORT lines too
  unsigned threads = 1;
  RouteKnobTable knobs{};
  std::optional<std::uint64_t> seed;  // none: from std::random_device
};

// Parses argv; an Error carries CLI11's message or ours (bad ROUTE=VALUE). `help` is set when
// --help was asked for (the usage text is in the error message then, code "help").
core::Result<Options> parse_options(int argc, char** argv);

}  // namespace loadgen::shopsim
