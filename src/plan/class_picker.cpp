#include "plan/class_picker.hpp"

#include <limits>

namespace loadgen::plan {

ClassPicker::ClassPicker(std::vector<ClassInfo> classes)
    : classes_(std::move(classes)), current_(classes_.size(), 0) {}

std::size_t ClassPicker::next(const std::vector<std::int64_t>& alive) {
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    if (classes_[i].fixed_count > 0 && alive[i] < classes_[i].fixed_count) return i;
  }
  std::int64_t total = 0;
  std::size_t best = std::numeric_limits<std::size_t>::max();
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    if (classes_[i].fixed_count > 0 || classes_[i].weight == 0) continue;
    current_[i] += classes_[i].weight;
    total += classes_[i].weight;
    if (best == std::numeric_limits<std::size_t>::max() || current_[i] > current_[best]) best = i;
  }
  if (best != std::numeric_limits<std::size_t>::max()) current_[best] -= total;
  return best;
}

}  // namespace loadgen::plan
