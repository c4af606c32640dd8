// ErrorTable: bounded failures table (see errors.hpp).
#include "stats/errors.hpp"

#include <algorithm>
#include <tuple>

namespace loadgen::stats {

void ErrorTable::add(std::string_view method, std::string_view name, std::string_view error,
                     std::uint64_t n) {
  if (n == 0) return;
  total_ += n;
  detail::KeyView<3> view{{method, name, error}};
  if (auto it = rows_.find(view); it != rows_.end()) {
    it->second += n;
    return;
  }
  if (rows_.size() >= kMaxRows) view.parts[2] = kOverflowError;
  rows_[Key(view)] += n;
}

void ErrorTable::merge(const ErrorTable& other) {
  for (const auto& [key, n] : other.rows_) add(key.parts[0], key.parts[1], key.parts[2], n);
}

std::vector<ErrorRow> ErrorTable::rows() const {
  std::vector<ErrorRow> out;
  out.reserve(rows_.size());
  for (const auto& [key, n] : rows_) out.push_back({key.parts[0], key.parts[1], key.parts[2], n});
  std::sort(out.begin(), out.end(), [](const ErrorRow& a, const ErrorRow& b) {
    if (a.occurrences != b.occurrences) return a.occurrences > b.occurrences;
    return std::tie(a.name, a.method, a.error) < std::tie(b.name, b.method, b.error);
  });
  return out;
}

void ErrorTable::clear() {
  rows_.clear();
  total_ = 0;
}

}  // namespace loadgen::stats
