// The stats scenario behind the golden files: keep identical to scenario() in make_golden.py.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "stats/aggregate.hpp"

namespace loadgen::report::testing {

inline const std::string kLongName = "/product/" + std::string(80, 'x') + "?currency=EUR";
inline const char* const kCartError =
    "HTTPError('500 Server Error: Internal Server Error for url: http://shop/api/cart')";
inline const char* const kConnError = "ConnectionError('refused, \"again\"')";

inline stats::Aggregate scenario() {
  stats::Aggregate agg(1000.0);
  stats::Shard shard;
  for (int s = 1000; s < 1015; ++s) {
    const double t = s;
    shard.record("GET", "/", static_cast<std::uint64_t>(s % 5 + 1) * 10'000,
                 static_cast<std::uint64_t>(1000 + s % 7), "", t + 0.5);
    shard.record("POST", "/api/cart", 120'000, 0, s % 3 == 0 ? kCartError : "", t + 0.6);
    if (s % 2 == 0) shard.record("GET", kLongName, 7'000, 512, "", t + 0.7);
    if (s % 4 == 0) agg.merge(shard.take());  // several deltas, as from a worker
  }
  shard.record("GET", "/api/cart", 50'000, 10, kConnError, 1013.8);
  shard.record("GET", "/", 2'500'000, 1000, "", 1015.2);
  agg.merge(shard.take());
  return agg;
}

inline std::string read_golden(const std::string& name) {
  std::ifstream in(std::string(LOADGEN_REPORT_GOLDEN_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace loadgen::report::testing
