// smartcache - Stats from a window of counters and latencies: the derived figures.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include <smartcache/detail/metrics/histogram.hpp>
#include <smartcache/metrics/counters.hpp>
#include <smartcache/metrics/stats.hpp>

namespace smartcache::detail {

// The Stats of one window: its counters (lifetime minus the reset baselines),
// its latency histogram, min and max, and its cpu_saved sum and count. Every
// derived figure is 0 when its denominator is, never inf or NaN.
[[nodiscard]] inline Stats make_stats(const std::array<std::uint64_t, counter_count>& w,
                                      const LatencyHistogram& latency, double min_ms, double max_ms,
                                      double cpu_sum, std::uint64_t cpu_count) {
  const auto at = [&w](Counter c) { return w[static_cast<std::size_t>(c)]; };
  const auto ratio_pct = [](double num, double den) { return den > 0 ? num / den * 100.0 : 0.0; };
  Stats s;
#define SMARTCACHE_STATS_FROM_WINDOW(name, category) s.name = at(Counter::name);
  SMARTCACHE_COUNTERS(SMARTCACHE_STATS_FROM_WINDOW)
#undef SMARTCACHE_STATS_FROM_WINDOW

  s.latency_samples = latency.count();
  if (s.latency_samples > 0) {
    s.avg_latency_ms = latency.sum_ms() / static_cast<double>(s.latency_samples);
    s.min_latency_ms = min_ms;
    s.max_latency_ms = max_ms;
    // A bucket's representative value may fall just outside what was seen.
    const auto q = [&](double p) { return std::clamp(latency.quantile(p), min_ms, max_ms); };
    s.p50_latency_ms = q(0.50);
    s.p90_latency_ms = q(0.90);
    s.p99_latency_ms = q(0.99);
    s.p999_latency_ms = q(0.999);
  }
  const double hits = static_cast<double>(s.cache_hit_fresh + s.cache_hit_stale);
  s.hit_rate_pct = ratio_pct(hits, hits + static_cast<double>(s.cache_miss));
  s.avg_cpu_saved_pct = cpu_count > 0 ? cpu_sum / static_cast<double>(cpu_count) : 0.0;
  s.vix_panic_rate_pct =
      ratio_pct(static_cast<double>(s.vix_panic_detected),
                static_cast<double>(s.vix_panic_detected + s.vix_warning_detected + s.vix_normal));
  s.golden_hour_total = s.golden_hour_standard + s.golden_hour_warmup + s.golden_hour_prematch +
                        s.golden_hour_golden + s.golden_hour_active;
  return s;
}

}  // namespace smartcache::detail
