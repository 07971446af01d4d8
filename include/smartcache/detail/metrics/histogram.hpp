// smartcache - latency histogram: exact Prometheus buckets plus fine log-linear quantiles.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace smartcache::detail {

/// The default upper bounds of the exported latency histogram, in seconds
/// (100 us to 10 s, the usual 1-2.5-5 progression).
///
/// Example:
///   LatencyHistogram h(default_latency_buckets_seconds());
[[nodiscard]] inline std::vector<double> default_latency_buckets_seconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,   2.5,   5.0,   10.0};
}

// The fine (quantile) buckets are log-linear: the key of a positive double is
// its biased exponent followed by the top `fine_mantissa_bits` bits of its
// mantissa, i.e. the raw bits shifted right. That gives 2^5 = 32 buckets per
// octave, each at most 1/32 of its lower edge wide, so the bucket midpoint is
// within 1/64 (1.6 %) of any value in the bucket.
inline constexpr int fine_mantissa_bits = 5;
inline constexpr int fine_key_shift = 52 - fine_mantissa_bits;
/// Quantiles are accurate for latencies in [fine_min_ms, fine_max_ms]: 1 ns
/// (a memory-cache hit can take less than a microsecond) to 100 s.
inline constexpr double fine_min_ms = 1e-6;
inline constexpr double fine_max_ms = 1e5;

// The same key as the bit shift, computed without type punning so that it is
// usable in constant expressions (scaling by 2 is exact). Requires v > 0.
[[nodiscard]] constexpr std::uint64_t fine_key_of(double v) noexcept {
  int exponent = 0;
  while (v >= 2.0) {
    v /= 2.0;
    ++exponent;
  }
  while (v < 1.0) {
    v *= 2.0;
    --exponent;
  }
  const auto top_bits = static_cast<std::uint64_t>((v - 1.0) * double{1 << fine_mantissa_bits});
  return (static_cast<std::uint64_t>(exponent + 1023) << fine_mantissa_bits) | top_bits;
}

inline constexpr std::uint64_t fine_min_key = fine_key_of(fine_min_ms);
inline constexpr std::uint64_t fine_max_key = fine_key_of(fine_max_ms);
inline constexpr std::size_t fine_bucket_count = static_cast<std::size_t>(fine_max_key - fine_min_key + 1);

/// Latency distribution of a cache: the configurable Prometheus buckets
/// (cumulative counts exact) and fine log-linear buckets for quantiles within
/// 1.6 % (1/64) relative error between 1 ns and 100 s (see quantile()).
///
/// Not thread-safe: CacheMetrics guards each of its stripes' histograms with
/// that stripe's mutex.
///
/// Example:
///   LatencyHistogram h;
///   h.observe(0.8);                 // milliseconds
///   double p99 = h.quantile(0.99);  // milliseconds
///   auto le = h.cumulative_counts(); // per bound of h.bounds_seconds()
class LatencyHistogram {
 public:
  /// Keeps the finite, positive bounds, sorted and deduplicated; the others are
  /// dropped silently (the caller compares sizes and logs).
  explicit LatencyHistogram(std::vector<double> bounds_seconds = default_latency_buckets_seconds())
      : bounds_seconds_(std::move(bounds_seconds)) {
    bounds_seconds_.erase(std::remove_if(bounds_seconds_.begin(), bounds_seconds_.end(),
                                         [](double b) { return !std::isfinite(b) || !(b > 0.0); }),
                          bounds_seconds_.end());
    std::sort(bounds_seconds_.begin(), bounds_seconds_.end());
    bounds_seconds_.erase(std::unique(bounds_seconds_.begin(), bounds_seconds_.end()),
                          bounds_seconds_.end());
    bounds_ms_.reserve(bounds_seconds_.size());
    for (double b : bounds_seconds_) bounds_ms_.push_back(largest_ms_within(b));
    coarse_.assign(bounds_seconds_.size() + 1, 0);
  }

  /// Records one latency in milliseconds.
  /// Precondition: finite and >= 0 (CacheMetrics validates and counts the rest).
  void observe(double latency_ms) noexcept {
    ++count_;
    sum_ms_ += latency_ms;

    std::size_t i = 0;
    const std::size_t n = bounds_ms_.size();
    while (i < n && latency_ms > bounds_ms_[i]) ++i;
    ++coarse_[i];

    std::uint64_t bits = 0;
    std::memcpy(&bits, &latency_ms, sizeof bits);
    bits &= ~(std::uint64_t{1} << 63);  // -0.0 is 0
    const std::uint64_t key = bits >> fine_key_shift;
    const std::uint64_t index = key - fine_min_key;  // wraps for underflow
    if (index < fine_bucket_count) {
      ++fine_[static_cast<std::size_t>(index)];
    } else if (key < fine_min_key) {
      ++underflow_;
    } else {
      ++overflow_;
    }
  }

  /// Number of observations.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

  /// Sum of the observed latencies, in milliseconds.
  [[nodiscard]] double sum_ms() const noexcept { return sum_ms_; }

  /// The q-quantile (nearest rank) in milliseconds; q is clamped to [0, 1], a
  /// NaN q reads as 0. 0 when empty. Values below 1 ns report 0, values above
  /// 100 s report 100 s; in between the error is below 1.6 % of the value.
  [[nodiscard]] double quantile(double q) const noexcept {
    if (count_ == 0) return 0.0;
    if (!(q > 0.0)) q = 0.0;
    if (q > 1.0) q = 1.0;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);

    std::uint64_t seen = underflow_;
    if (seen >= rank) return 0.0;
    for (std::size_t i = 0; i < fine_bucket_count; ++i) {
      seen += fine_[i];
      if (seen >= rank) return fine_midpoint(fine_min_key + i);
    }
    return fine_max_ms;
  }

  /// The exported bucket bounds in seconds: finite, positive, strictly increasing.
  [[nodiscard]] const std::vector<double>& bounds_seconds() const noexcept { return bounds_seconds_; }

  /// Element i counts the observations with latency_ms / 1000 <= bounds_seconds()[i]
  /// (exactly; a value on a bound is in that bound's bucket).
  [[nodiscard]] std::vector<std::uint64_t> cumulative_counts() const {
    std::vector<std::uint64_t> out(bounds_seconds_.size());
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      running += coarse_[i];
      out[i] = running;
    }
    return out;
  }

  /// Turns a lifetime histogram into a window: subtracts a baseline copy taken
  /// earlier from it (same bounds). Counts saturate at 0 if the baseline was
  /// not a past state of this histogram.
  LatencyHistogram& operator-=(const LatencyHistogram& baseline) noexcept {
    const std::size_t n = std::min(coarse_.size(), baseline.coarse_.size());
    for (std::size_t i = 0; i < n; ++i) minus(coarse_[i], baseline.coarse_[i]);
    for (std::size_t i = 0; i < fine_bucket_count; ++i) minus(fine_[i], baseline.fine_[i]);
    minus(underflow_, baseline.underflow_);
    minus(overflow_, baseline.overflow_);
    minus(count_, baseline.count_);
    sum_ms_ = count_ == 0 ? 0.0 : std::max(0.0, sum_ms_ - baseline.sum_ms_);
    return *this;
  }

  /// Adds another histogram's observations to this one (same bounds): how
  /// CacheMetrics folds its stripes. Precondition: the sum stays finite.
  LatencyHistogram& operator+=(const LatencyHistogram& other) noexcept {
    const std::size_t n = std::min(coarse_.size(), other.coarse_.size());
    for (std::size_t i = 0; i < n; ++i) coarse_[i] += other.coarse_[i];
    for (std::size_t i = 0; i < fine_bucket_count; ++i) fine_[i] += other.fine_[i];
    underflow_ += other.underflow_;
    overflow_ += other.overflow_;
    count_ += other.count_;
    sum_ms_ += other.sum_ms_;
    return *this;
  }

  /// Adds the per-bucket (not cumulative) counts of the exported buckets to
  /// `out[i]`, i < bounds_seconds().size(): a fold of several histograms'
  /// exported buckets without copying their fine buckets.
  void add_bucket_counts_to(std::vector<std::uint64_t>& out) const noexcept {
    const std::size_t n = std::min(out.size(), bounds_seconds_.size());
    for (std::size_t i = 0; i < n; ++i) out[i] += coarse_[i];
  }

  /// Forgets every observation; keeps the bounds.
  void clear() noexcept {
    std::fill(coarse_.begin(), coarse_.end(), std::uint64_t{0});
    fine_.fill(0);
    underflow_ = 0;
    overflow_ = 0;
    count_ = 0;
    sum_ms_ = 0.0;
  }

 private:
  static void minus(std::uint64_t& a, std::uint64_t b) noexcept { a = a > b ? a - b : 0; }

  static double from_bits(std::uint64_t bits) noexcept {
    double v = 0.0;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }

  static double fine_midpoint(std::uint64_t key) noexcept {
    const double lower = from_bits(key << fine_key_shift);
    const double upper = from_bits((key + 1) << fine_key_shift);
    return lower + (upper - lower) / 2.0;
  }

  // The largest double m with m / 1000 <= bound_s, so that the hot path can
  // compare milliseconds without a division and still put a value exactly on
  // a bound (5 ms against 0.005 s) in that bound's bucket.
  static double largest_ms_within(double bound_s) noexcept {
    constexpr double inf = std::numeric_limits<double>::infinity();
    double m = bound_s * 1000.0;
    while (m / 1000.0 > bound_s) m = std::nextafter(m, -inf);
    while (std::nextafter(m, inf) / 1000.0 <= bound_s) m = std::nextafter(m, inf);
    return m;
  }

  std::vector<double> bounds_seconds_;
  std::vector<double> bounds_ms_;
  std::vector<std::uint64_t> coarse_;  // per bound, then one past the last bound
  std::array<std::uint64_t, fine_bucket_count> fine_{};
  std::uint64_t underflow_ = 0;
  std::uint64_t overflow_ = 0;
  std::uint64_t count_ = 0;
  double sum_ms_ = 0.0;
};

}  // namespace smartcache::detail
