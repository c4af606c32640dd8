// ClassPicker: which user class the next spawned user gets. Pure logic, as Locust 2.12
// dispatch.py: fixed_count classes first until each has its count, then smooth weighted
// round robin (nginx-style) over the weighted classes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loadgen::plan {

class ClassPicker {
 public:
  struct ClassInfo {
    unsigned weight = 1;
    unsigned fixed_count = 0;
  };
  explicit ClassPicker(std::vector<ClassInfo> classes);

  // Index of the class for the next user; `alive` = users alive per class right now.
  // Returns SIZE_MAX when no class can take another user (only fixed-count classes, all full).
  std::size_t next(const std::vector<std::int64_t>& alive);

 private:
  std::vector<ClassInfo> classes_;
  std::vector<std::int64_t> current_;  // smooth WRR state
};

}  // namespace loadgen::plan
