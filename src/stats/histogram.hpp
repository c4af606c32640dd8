// Histogram: a log-linear (HDR-style) latency histogram in microseconds, bounded relative error,
// mergeable. Owned by one thread (a worker's shard or the main thread's aggregate); not
// thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace loadgen::stats {

// Buckets: values below 2^kSubBucketBits (128 µs) get one bucket each (exact). Above, every
// power-of-two range [2^m, 2^(m+1)) is split into 64 equal sub-buckets, so a bucket is at most
// 1/64 of its lower bound wide and its midpoint is within 1/128 (0.79 %) of any value in it —
// the scheme of HdrHistogram with 2 significant decimal digits. Values at or above
// 2^kMaxMagnitude µs (about 19 h) fall into the top bucket; min and max stay exact regardless.
// Storage is one counter per bucket up to the highest bucket seen (at most kBucketCount,
// 15.5 KiB), grown lazily; reset() keeps the capacity so a reused histogram does not allocate.
class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;
  static constexpr std::uint64_t kExactBelow = std::uint64_t{1} << kSubBucketBits;  // 128 µs
  static constexpr std::uint64_t kHalfSubBuckets = kExactBelow / 2;                 // 64
  static constexpr unsigned kMaxMagnitude = 36;  // 2^36 µs ≈ 19.1 h
  static constexpr std::size_t kBucketCount =
      kExactBelow + (kMaxMagnitude - kSubBucketBits) * kHalfSubBuckets;

  void record(std::uint64_t us, std::uint64_t count = 1) {
    if (count == 0) return;
    const std::size_t idx = bucket_index(us);
    if (idx >= counts_.size()) counts_.resize(idx + 1, 0);  // within capacity after a reset
    counts_[idx] += count;
    if (count_ == 0) {
      min_ = us;
      max_ = us;
    } else {
      if (us < min_) min_ = us;
      if (us > max_) max_ = us;
    }
    count_ += count;
  }

  void merge(const Histogram& other);
  void reset();  // empties it, keeps the storage
  // Room for samples up to `us` without allocating (the storage still grows lazily in size).
  void reserve_up_to(std::uint64_t us) { counts_.reserve(bucket_index(us) + 1); }
  // Replaces the exact min and max (a histogram rebuilt from bucket counts off the wire, whose
  // samples' exact bounds travel separately). No effect when empty; min <= max expected.
  void set_min_max(std::uint64_t min, std::uint64_t max) {
    if (count_ == 0) return;
    min_ = min;
    max_ = max;
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return count_ == 0 ? 0 : max_; }
  bool empty() const { return count_ == 0; }

  // Value at quantile q in [0,1], Locust's rule (stats.py calculate_response_time_percentile):
  // the sample of 0-based rank floor(q*n), i.e. value_at_rank(min(floor(q*n)+1, n)).
  // 0 when empty; q >= 1 gives max(), q <= 0 gives min().
  std::uint64_t value_at_quantile(double q) const;
  // The value of the sample with 1-based rank (1..count()) in ascending order: the midpoint of
  // its bucket clamped to [min, max]. Ranks beyond the ends clamp to them. 0 when empty.
  std::uint64_t value_at_rank(std::uint64_t rank) const;

  // f(lower_us, upper_us_exclusive, count) for every non-empty bucket, ascending.
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0) f(bucket_lower(i), bucket_lower(i) + bucket_width(i), counts_[i]);
    }
  }

  static std::size_t bucket_index(std::uint64_t us) {
    if (us < kExactBelow) return static_cast<std::size_t>(us);
    const unsigned msb = static_cast<unsigned>(std::bit_width(us)) - 1;  // >= kSubBucketBits
    if (msb >= kMaxMagnitude) return kBucketCount - 1;
    const unsigned shift = msb - (kSubBucketBits - 1);
    return static_cast<std::size_t>(kExactBelow + (msb - kSubBucketBits) * kHalfSubBuckets +
                                    ((us >> shift) - kHalfSubBuckets));
  }
  static std::uint64_t bucket_lower(std::size_t idx) {
    if (idx < kExactBelow) return idx;
    const std::uint64_t k = idx - kExactBelow;
    const std::uint64_t msb = kSubBucketBits + k / kHalfSubBuckets;
    const std::uint64_t sub = kHalfSubBuckets + k % kHalfSubBuckets;
    return sub << (msb - (kSubBucketBits - 1));
  }
  static std::uint64_t bucket_width(std::size_t idx) {
    if (idx < kExactBelow) return 1;
    const std::uint64_t msb = kSubBucketBits + (idx - kExactBelow) / kHalfSubBuckets;
    return std::uint64_t{1} << (msb - (kSubBucketBits - 1));
  }

 private:
  std::vector<std::uint64_t> counts_;  // by bucket index, up to the highest bucket seen
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace loadgen::stats
