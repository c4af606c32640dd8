// CLI parsing with CLI11 (exceptions stay here); ROUTE=VALUE options checked against the route
// table and parsed with core's duration syntax ("250ms", "1.5s").
#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <vector>

#include "core/timespan.hpp"

namespace loadgen::shopsim {

namespace {

std::string route_list() {
  std::string s;
  for (std::size_t i = 0; i + 1 < kRouteCount; ++i) {
    if (!s.empty()) s += ", ";
    s += kRouteNames[i];
  }
  return s;
}

// "ROUTE=VALUE" → route and value text.
core::Result<std::pair<Route, std::string>> split_route_value(const std::string& arg,
                                                              const char* option) {
  const std::size_t eq = arg.find('=');
  const auto route = parse_route(std::string_view(arg).substr(0, eq));
  if (eq == std::string::npos || !route) {
    return core::make_error("bad_value", std::string(option) + " " + arg + ": expected ROUTE=VALUE",
                            "ROUTE is one of " + route_list());
  }
  return std::make_pair(*route, arg.substr(eq + 1));
}

}  // namespace

core::Result<Options> parse_options(int argc, char** argv) {
  Options o;
  std::vector<std::string> latencies;
  std::vector<std::string> error_rates;
  std::uint64_t seed = 0;
  CLI::App app{"shopsim: a stand-in for the OpenTelemetry Demo frontend and flagd's OFREP API"};
  app.add_option("--host", o.host, "address to listen on")->capture_default_str();
  app.add_option("--port", o.port, "shop port (0: a free port)")->capture_default_str();
  app.add_option("--ofrep-port", o.ofrep_port, "OFREP port (0: a free port)")
      ->capture_default_str();
  app.add_option("--flags", o.flags_file, "flagd-format flag file, re-read when it changes");
  app.add_option("--port-file", o.port_file, "also write the PORT/OFREP_PORT lines here");
  app.add_option("--threads", o.threads, "I/O threads")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  app.add_option("--latency", latencies, "ROUTE=DURATION added before answering (repeatable)");
  app.add_option("--error-rate", error_rates, "ROUTE=FRACTION answered 500 (repeatable)");
  auto* seed_opt = app.add_option("--seed", seed, "random seed (default: random)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return core::make_error("help", app.help());
  } catch (const CLI::ParseError& e) {
    return core::make_error("bad_option", e.what(), "see shopsim --help");
  }
  if (seed_opt->count() > 0) o.seed = seed;

  for (const std::string& arg : latencies) {
    auto rv = split_route_value(arg, "--latency");
    if (!rv) return rv.error();
    auto d = core::parse_duration(rv->second, "--latency " + arg);
    if (!d) return d.error();
    o.knobs[static_cast<std::size_t>(rv->first)].latency = *d;
  }
  for (const std::string& arg : error_rates) {
    auto rv = split_route_value(arg, "--error-rate");
    if (!rv) return rv.error();
    char* end = nullptr;
    const double f = std::strtod(rv->second.c_str(), &end);
    if (rv->second.empty() || end != rv->second.c_str() + rv->second.size() || !(f >= 0.0) ||
        f > 1.0) {
      return core::make_error("bad_value", "--error-rate " + arg + ": not a fraction",
                              "use a number from 0 to 1, e.g. checkout=0.1");
    }
    o.knobs[static_cast<std::size_t>(rv->first)].error_rate = f;
  }
  return o;
}

}  // namespace loadgen::shopsim
