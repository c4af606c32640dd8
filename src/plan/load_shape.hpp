// The seam for load shapes, stages and arrival-rate schedules (Locust's LoadTestShape.tick(),
// k6's stages): pure and clock-free, asked by the runner's driving thread at run time `t`.
// StagesShape (plan/stages.hpp) implements it for --stages; without a shape the run holds one
// fixed target (--users, --spawn-rate) until --run-time or a stop.
#pragma once

#include <cstdint>
#include <optional>

namespace loadgen::plan {

// What the run should move toward now: `users` at `spawn_rate` users per second.
struct Target {
  std::int64_t users = 0;
  double spawn_rate = 1;
  friend bool operator==(const Target&, const Target&) = default;
};

// Called by the runner's driving thread only. tick(t): t = seconds since the run started on
// the runner's clock (virtual time in tests). Returns the target now, or nullopt: stop the
// run. The runner applies a changed target as a new ramp (plan/ramp.hpp).
class LoadShape {
 public:
  virtual ~LoadShape() = default;
  virtual std::optional<Target> tick(double t) = 0;
};

}  // namespace loadgen::plan
