// Stages: a piecewise load profile (k6's `stages`, Locust's LoadTestShape written as data). Each
// stage moves toward `target` over `duration_s` (users for the closed model, iterations per
// second for the arrival-rate model). Pure data; parsing and the shapes built from it live next
// to it (stages.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace loadgen::plan {

struct Stage {
  double duration_s = 0;
  double target = 0;                 // users, or iterations/s for arrival-rate stages
  std::optional<double> spawn_rate;  // users/s for this stage; unset: reach target by its end
  std::string origin;                // where it was written ("--stages", "file.yaml:12:5")
};

}  // namespace loadgen::plan
