// smartcache - MetricsSnapshot: the lifetime series of a CacheMetrics, read once.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <smartcache/metrics/counters.hpp>

namespace smartcache {

/// Everything an exposition writes, copied out of a CacheMetrics under its
/// lock in one go: the lifetime counters (monotonic, untouched by resets),
/// the latency histogram and the CPU-saved sums. Writers (Prometheus text,
/// OpenMetrics, anything else) read this and never the live metrics, so
/// recording knows nothing of any output format.
///
/// Example:
///   smartcache::MetricsSnapshot s = metrics.snapshot();
///   std::uint64_t hits = s.counter(smartcache::Counter::cache_hit_fresh);
struct MetricsSnapshot {
  std::array<std::uint64_t, counter_count> counters{};
  /// Upper bounds of the exported latency buckets, in seconds, and the
  /// cumulative count of observations at or below each.
  std::vector<double> latency_bounds_seconds;
  std::vector<std::uint64_t> latency_cumulative;
  std::uint64_t latency_count = 0;
  double latency_sum_ms = 0;
  /// Surgical invalidations' cpu_saved_pct: how many, and their sum (0-100 each).
  std::uint64_t cpu_saved_count = 0;
  double cpu_saved_sum_pct = 0;
  double latency_sample_rate = 1;

  [[nodiscard]] std::uint64_t counter(Counter c) const noexcept {
    return counters[static_cast<std::size_t>(c)];
  }
};

}  // namespace smartcache
