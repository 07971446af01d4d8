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
#include <smartcache/types.hpp>

namespace smartcache::detail {

// One latency series over a window: its histogram, and its min and max
// (valid when `seen`).
struct LatencyWindow {
  LatencyHistogram histogram;
  double min_ms = 0;
  double max_ms = 0;
  bool seen = false;
};

// The Stats of one window: its counters (lifetime minus the reset baselines),
// its latency series (index: Strategy value, then unspecified), and its
// cpu_saved sum and count. Every derived figure is 0 when its denominator is,
// never inf or NaN.
template <std::size_t N>
[[nodiscard]] inline Stats make_stats(const std::array<std::uint64_t, counter_count>& w,
                                      const std::array<LatencyWindow, N>& series, double cpu_sum,
                                      std::uint64_t cpu_count) {
  static_assert(N >= 1);
  LatencyHistogram latency = series[0].histogram;
  double min_ms = series[0].min_ms, max_ms = series[0].max_ms;
  bool seen = series[0].seen;
  for (std::size_t k = 1; k < N; ++k) {
    latency += series[k].histogram;
    if (!series[k].seen) continue;
    if (!seen || series[k].min_ms < min_ms) min_ms = series[k].min_ms;
    if (!seen || series[k].max_ms > max_ms) max_ms = series[k].max_ms;
    seen = true;
  }
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
  // Per strategy (series index = Strategy value), clamped to that series' min and max.
  const auto series_q = [&series](Strategy st, double p) {
    const auto k = static_cast<std::size_t>(st);
    if (k >= N || series[k].histogram.count() == 0 || !series[k].seen) return 0.0;
    return std::clamp(series[k].histogram.quantile(p), series[k].min_ms, series[k].max_ms);
  };
  s.p50_serve_fresh_ms = series_q(Strategy::serve_fresh, 0.50);
  s.p99_serve_fresh_ms = series_q(Strategy::serve_fresh, 0.99);
  s.p50_serve_stale_ms = series_q(Strategy::serve_stale, 0.50);
  s.p99_serve_stale_ms = series_q(Strategy::serve_stale, 0.99);
  s.p50_compute_ms = series_q(Strategy::compute, 0.50);
  s.p99_compute_ms = series_q(Strategy::compute, 0.99);
  s.p50_bypass_ms = series_q(Strategy::bypass, 0.50);
  s.p99_bypass_ms = series_q(Strategy::bypass, 0.99);

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
