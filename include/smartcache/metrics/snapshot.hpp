// smartcache - MetricsSnapshot: the lifetime series of a CacheMetrics, read once.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <smartcache/metrics/counters.hpp>

namespace smartcache {

/// Everything an exposition writes, copied out of a CacheMetrics under its
/// lock in one go: the lifetime counters (monotonic, untouched by resets),
/// the latency histogram (per strategy) and the CPU-saved sums. Writers (Prometheus text,
/// OpenMetrics, anything else) read this and never the live metrics, so
/// recording knows nothing of any output format.
///
/// Example:
///   smartcache::MetricsSnapshot s = metrics.snapshot();
///   std::uint64_t hits = s.counter(smartcache::Counter::cache_hit_fresh);
/// One series of the latency histogram: the requests of one strategy
/// (`strategy` = to_string(Strategy)), or those recorded through
/// `record_latency` without one (`strategy` = "unspecified").
struct LatencySeriesSnapshot {
  std::string_view strategy;
  /// Cumulative count of observations at or below each exported bound.
  std::vector<std::uint64_t> cumulative;
  std::uint64_t count = 0;
  double sum_ms = 0;
};

/// The number of latency series: bypass, compute, serve_stale, serve_fresh
/// (in the order of Strategy), then unspecified.
inline constexpr std::size_t latency_series_count = 5;

struct MetricsSnapshot {
  std::array<std::uint64_t, counter_count> counters{};
  /// Upper bounds of the exported latency buckets, in seconds, and the
  /// cumulative count of observations at or below each.
  std::vector<double> latency_bounds_seconds;
  /// Over all series: cumulative counts, observations, their sum.
  std::vector<std::uint64_t> latency_cumulative;
  std::uint64_t latency_count = 0;
  double latency_sum_ms = 0;
  /// The same per series (index: Strategy value, then 4 = unspecified).
  std::array<LatencySeriesSnapshot, latency_series_count> latency_series;
  /// Surgical invalidations' cpu_saved_pct: how many, and their sum (0-100 each).
  std::uint64_t cpu_saved_count = 0;
  double cpu_saved_sum_pct = 0;
  double latency_sample_rate = 1;

  [[nodiscard]] std::uint64_t counter(Counter c) const noexcept {
    return counters[static_cast<std::size_t>(c)];
  }
};

}  // namespace smartcache
