#include "app/history_sampler.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

#include "report/number_format.hpp"

namespace loadgen::app {

std::pair<double, double> history_percentiles(const stats::Aggregate& a, double now_wall) {
  // Locust's current percentiles (the web API's current_response_time_percentile_50/_95): the
  // last 10 s; none (-1) before the window has a cached second.
  const auto pct = [&](double q) {
    const std::optional<double> ms = a.current_percentile_ms(q, now_wall);
    return ms ? static_cast<double>(report::detail::round_ms(*ms)) : -1.0;
  };
  return {pct(0.5), pct(0.95)};
}

HistorySampler::Baseline HistorySampler::baseline_of(const Sample& s) {
  const stats::Entry& t = s.stats->total();
  return Baseline{t.start_time,     t.num_requests,  t.num_failures,
                  s.spans_exported, s.spans_dropped, s.mono_ns};
}

stats::HistoryPoint HistorySampler::point(const Sample& s, const Baseline& now) {
  const double span = static_cast<double>(now.mono_ns - prev_->mono_ns) * 1e-9;
  const auto per_s = [span](std::uint64_t a, std::uint64_t b) {
    return b >= a ? static_cast<double>(b - a) / span : 0.0;
  };
  stats::HistoryPoint p;
  p.t = s.wall_s;
  p.span_s = span;
  p.users = s.users;
  p.rps = per_s(prev_->requests, now.requests);
  p.fail_per_s = per_s(prev_->failures, now.failures);
  std::tie(p.p50_ms, p.p95_ms) = history_percentiles(*s.stats, s.wall_s);
  p.spans_exported_per_s = per_s(prev_->spans_exported, now.spans_exported);
  p.spans_dropped_per_s = per_s(prev_->spans_dropped, now.spans_dropped);
  for (const double u : cpu_.sample(s.worker_cpu_ns, s.mono_ns)) {
    p.loop_cpu_max = std::max(p.loop_cpu_max, std::min(u, 1.0));
  }
  return p;
}

void HistorySampler::observe(engine::RunState state, stats::History& h) {
  const bool idle = [](engine::RunState st) {
    return st == engine::RunState::kReady || st == engine::RunState::kStopping ||
           st == engine::RunState::kStopped;
  }(prev_state_);
  if (idle && (state == engine::RunState::kSpawning || state == engine::RunState::kRunning)) {
    h.clear();
    prev_.reset();
  }
  prev_state_ = state;
}

void HistorySampler::sample(const Sample& s, stats::History& h) {
  const Baseline now = baseline_of(s);
  // A reset moves the start time later (merging only moves it earlier, or sets it from 0 at
  // the first request) and may lower the counts.
  const bool reset = prev_ && ((prev_->start_time != 0 && now.start_time > prev_->start_time) ||
                               now.requests < prev_->requests || now.failures < prev_->failures);
  if (reset) {
    h.clear();
    prev_.reset();
  }
  if (prev_ && now.mono_ns > prev_->mono_ns) {
    h.add(point(s, now));
  } else {
    (void)cpu_.sample(s.worker_cpu_ns, s.mono_ns);  // the CPU window starts here too
  }
  prev_ = now;
}

}  // namespace loadgen::app
