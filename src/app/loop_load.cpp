#include "app/loop_load.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/clock.hpp"
#include "engine/request_metrics.hpp"

namespace loadgen::app {

void LoopLoadWatch::check(const engine::Engine& eng, Log& log) {
  check(eng.worker_cpu_ns(), core::mono_ns(), log);
}

void LoopLoadWatch::check(const std::vector<std::int64_t>& cpu_ns, std::int64_t mono_ns, Log& log) {
  const std::vector<double> util = cpu_.sample(cpu_ns, mono_ns);
  bool any = false, saturated = false;
  std::size_t busiest = 0;
  for (std::size_t i = 0; i < util.size(); ++i) {
    if (util[i] < 0) continue;
    any = true;
    if (util[i] > util[busiest] || util[busiest] < 0) busiest = i;
    if (util[i] >= kThreshold) saturated = true;
  }
  if (!any) return;
  ++windows_;
  if (util[busiest] > peak_) {
    peak_ = util[busiest];
    peak_worker_ = busiest;
  }
  if (!saturated) return;
  ++saturated_windows_;
  if (warned_) return;
  warned_ = true;
  log.warning(
      "Event loop {} used {:.0f}% of a CPU over the last {:.0f} s: the generator may be "
      "limiting the load and inflating response times; give it more threads (--threads) "
      "or CPUs, or spread the users over more processes or machines",
      engine::worker_thread_name(static_cast<std::uint32_t>(busiest)),
      std::min(100.0, util[busiest] * 100.0), kIntervalS);
}

std::string LoopLoadWatch::summary() const {
  if (saturated_windows_ == 0) return {};
  return fmt::format(
      "Generator: event loop {} peaked at {:.0f}% CPU; a loop was saturated (>= {:.0f}%) in {} "
      "of {} {:.0f}-second windows: the load may have been limited by the generator\n",
      engine::worker_thread_name(static_cast<std::uint32_t>(peak_worker_)),
      std::min(100.0, peak_ * 100.0), kThreshold * 100.0, saturated_windows_, windows_, kIntervalS);
}

}  // namespace loadgen::app
