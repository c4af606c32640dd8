// HistorySampler: turns the run's counters into the points of stats::History (the web UI's
// charts, the HTML report), one per stats collection (about once a second; Environment::tick):
// users, requests and failures per second over the point (from the total's counts), the
// response-time percentiles, the trace pipeline's spans exported and dropped per second, and
// the busiest worker loop's CPU share.
// Thread: the driving thread.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "app/app_metrics.hpp"
#include "engine/run_state.hpp"
#include "stats/aggregate.hpp"
#include "stats/history.hpp"

namespace loadgen::app {

// The response-time percentiles (p50, p95) a history point shows, in ms (-1: none yet): the
// total's over Locust's 10 s window at now_wall, as GET /stats/requests has them.
std::pair<double, double> history_percentiles(const stats::Aggregate& a, double now_wall);

class HistorySampler {
 public:
  struct Sample {
    double wall_s = 0;         // seconds since the epoch
    std::int64_t mono_ns = 0;  // monotonic clock
    std::int64_t users = 0;
    const stats::Aggregate* stats = nullptr;
    std::uint64_t spans_exported = 0;  // the trace pipeline's counters so far (0: none)
    std::uint64_t spans_dropped = 0;
    std::vector<std::int64_t> worker_cpu_ns;  // Engine::worker_cpu_ns
  };
  // After a stats collection: adds the point since the previous one to `h`. Clears `h` when the
  // stats were reset; the first sample after a clear only sets the baseline.
  void sample(const Sample& s, stats::History& h);
  // Every tick: a run that starts after a stop (or from ready) begins a new series.
  void observe(engine::RunState state, stats::History& h);

 private:
  struct Baseline {
    double start_time = 0;  // the total's start_time (changes on a stats reset)
    std::uint64_t requests = 0, failures = 0, spans_exported = 0, spans_dropped = 0;
    std::int64_t mono_ns = 0;
  };
  static Baseline baseline_of(const Sample& s);
  stats::HistoryPoint point(const Sample& s, const Baseline& now);

  std::optional<Baseline> prev_;
  engine::RunState prev_state_ = engine::RunState::kReady;
  CpuUtilization cpu_;
};

}  // namespace loadgen::app
