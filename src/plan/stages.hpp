// Stages: a piecewise load profile (k6's `stages`, Locust's LoadTestShape written as data). Each
// stage moves toward `target` over `duration_s` (users for the closed model, iterations per
// second for the arrival-rate model). The text syntax of --stages / --arrival-stages, and the
// closed model's shape built from stages (StagesShape), live here too. Pure and clock-free.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "plan/load_shape.hpp"

namespace loadgen::plan {

struct Stage {
  double duration_s = 0;
  double target = 0;                 // users, or iterations/s for arrival-rate stages
  std::optional<double> spawn_rate;  // users/s for this stage; unset: reach target by its end
  std::string origin;                // where it was written ("--stages", "file.yaml:12:5")
};

// What a stage's target counts.
enum class StageKind {
  kUsers,        // --stages: DURATION:USERS[:SPAWN_RATE], USERS an integer >= 0
  kArrivalRate,  // --arrival-stages: DURATION:RATE, RATE iterations/s (N, N/s or N/m), >= 0
};

// Parses "30s:100,1m:100:10,30s:0" (comma-separated stages; spaces around fields are allowed).
// DURATION: 500ms, 30s, 1.5m, 2h, 1m30s, or bare seconds; 0 jumps to the target at once.
// Every problem is reported at once: the error's message lists them, "; "-separated, each
// naming the stage ("stage 2 '1m': no target ..."); the message reads after "... is not valid
// stages: ". `origin` is stored in each Stage.
core::Result<std::vector<Stage>> parse_stages(std::string_view text, StageKind kind,
                                              std::string_view origin);

// The open model's bounds (docs/load-models.md): an arrival rate (--arrival-rate, or a
// non-zero arrival-stage target) of at most kMaxArrivalRate iterations/s (beyond it one loop
// cannot keep the schedule anyway) and at least kMinArrivalRate (one a day: a slower rate puts
// the next iteration beyond the run); arrival stages last at most kMaxArrivalStagesS together.
inline constexpr double kMaxArrivalRate = 1e7;
inline constexpr double kMinArrivalRate = 1.0 / 86400;
inline constexpr double kMaxArrivalStagesS = 366.0 * 86400;
// The closed model's fastest spawn rate (users/s; -r/--spawn-rate and a stage's SPAWN_RATE): a
// ramp this fast starts every user in one step.
inline constexpr double kMaxSpawnRate = 1e9;

// An arrival rate: "N" or "N/s" (per second), "N/m" (per minute); > 0, finite, within
// [kMinArrivalRate, kMaxArrivalRate]. Returns iterations per second; the error's message is a
// phrase that reads after "is ".
core::Result<double> parse_rate(std::string_view text);

// Why an arrival rate (iterations/s) is out of bounds, as a phrase that reads after "is "; empty
// when it is within them. `allow_zero`: a stage's target may be 0.
std::string arrival_rate_problem(double rate, bool allow_zero = false);
// Every problem of stages read elsewhere (a scenario file) against the bounds parse_stages
// checks: arrival rates, the arrival stages' total, spawn rates.
std::vector<std::string> stage_bound_problems(const std::vector<Stage>& stages, StageKind kind);

// Seconds from the start to the end of the last stage.
double total_duration_s(const std::vector<Stage>& stages);

// The closed model's stages as a LoadShape (k6 ramping-vus; Locust's LoadTestShape). A stage
// without a spawn rate moves the user count linearly from the previous stage's target (0 before
// the first) to its own over its duration: one ramp at |target - previous| / duration users/s
// (plan/ramp.hpp: the count is within one spawn step of k6's line). A stage with a spawn rate
// asks for its target at that rate at its start (Locust's shape: tick() -> (users, rate)).
// After the last stage tick() returns nullopt: the run stops.
class StagesShape final : public LoadShape {
 public:
  explicit StagesShape(std::vector<Stage> stages);
  std::optional<Target> tick(double t) override;

 private:
  std::vector<Stage> stages_;
};

}  // namespace loadgen::plan
