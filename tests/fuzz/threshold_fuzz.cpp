// Fuzz target for stats::parse_threshold: any input either parses or fails with a message naming
// the threshold; a parsed one has a sane limit, percentile and grace, parses back from its
// canonical form ([NAME:]METRIC OP LIMIT) to the same threshold, and evaluates over a small
// aggregate without fault. Aborts on any violation.
#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "stats/threshold.hpp"

namespace {

using loadgen::stats::Threshold;
using loadgen::stats::ThresholdMetric;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "threshold_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

const loadgen::stats::Aggregate& sample() {
  static const loadgen::stats::Aggregate a = [] {
    loadgen::stats::Aggregate agg(1000.0);
    loadgen::stats::Shard s;
    s.record("GET", "/a", 1500, 10, "", 1000.5);
    s.record("POST", "/a", 250'000, 10, "boom", 1001.5);
    s.record("GET", "http://h:1/b?x=<1>", 42, 10, "", 1002.0);
    agg.merge(s.take());
    return agg;
  }();
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = loadgen::stats::parse_threshold(text, "fuzz");
  if (!r) {
    check(r.error().message.rfind("fuzz: threshold '", 0) == 0, "message names the origin");
    check(r.error().code == "bad_threshold", "error code");
    return 0;
  }
  const Threshold& t = *r;
  check(std::isfinite(t.limit) && t.limit >= 0, "limit finite and >= 0");
  check(t.metric != ThresholdMetric::kPercentile || (t.percentile > 0 && t.percentile <= 100),
        "percentile in (0, 100]");
  check(t.metric != ThresholdMetric::kFailureRatio || t.limit <= 1, "ratio at most 1");
  check(std::isfinite(t.abort_grace_s) && t.abort_grace_s >= 0, "grace finite and >= 0");
  check(t.origin == "fuzz", "origin");
  // The canonical form parses to the same threshold (the limit within rounding).
  std::string canonical = t.name.empty() ? "" : t.name + ":";
  canonical += loadgen::stats::metric_label(t);
  canonical += loadgen::stats::op_label(t.op);
  canonical += fmt::format("{:.6f}", t.limit);
  auto back = loadgen::stats::parse_threshold(canonical, "fuzz");
  if (!back)
    std::fprintf(stderr, "canonical '%s': %s\n", canonical.c_str(), back.error().message.c_str());
  check(back.ok(), "canonical form parses");
  check(back->name == t.name, "name round-trips");
  check(back->metric == t.metric && back->op == t.op, "metric and op round-trip");
  check(std::fabs(back->limit - t.limit) <= 1e-6 * std::max(1.0, t.limit), "limit round-trips");
  const auto res = loadgen::stats::evaluate(t, sample());
  check(res.observed.has_value() == (res.status != loadgen::stats::ThresholdStatus::kNoData),
        "observed iff data");
  if (res.observed) check(std::isfinite(*res.observed) && *res.observed >= 0, "observed >= 0");
  return 0;
}
