// smartcache - Stats: a typed snapshot of CacheMetrics, by the reference's key names.
// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace smartcache {

/// A consistent snapshot of the metrics window (what happened since the last
/// reset of each category). A plain value: copy it, compare it, print it.
///
/// Example:
///   smartcache::Stats s = metrics.get_stats();
///   fmt::print("hit rate {:.1f}% p99 {:.3f} ms\n", s.hit_rate_pct, s.p99_latency_ms);
///   s.for_each([](std::string_view name, double value) { ... });
struct Stats {
  // --- the reference's 28 counters ---
  std::uint64_t cache_hit_fresh = 0;
  std::uint64_t cache_hit_stale = 0;
  std::uint64_t cache_miss = 0;
  std::uint64_t cache_errors = 0;
  std::uint64_t vix_panic_detected = 0;
  std::uint64_t vix_warning_detected = 0;
  std::uint64_t vix_normal = 0;
  std::uint64_t cache_bypass_vix = 0;
  std::uint64_t golden_hour_standard = 0;
  std::uint64_t golden_hour_warmup = 0;
  std::uint64_t golden_hour_prematch = 0;
  std::uint64_t golden_hour_golden = 0;
  std::uint64_t golden_hour_active = 0;
  std::uint64_t swr_served_fresh = 0;
  std::uint64_t swr_served_stale = 0;
  std::uint64_t swr_too_stale = 0;
  std::uint64_t swr_background_success = 0;
  std::uint64_t swr_background_error = 0;
  std::uint64_t surgical_invalidation = 0;
  std::uint64_t full_invalidation = 0;
  std::uint64_t markets_affected_logical = 0;
  std::uint64_t cache_keys_deleted_actual = 0;
  std::uint64_t markets_preserved = 0;
  std::uint64_t strategy_bypass = 0;
  std::uint64_t strategy_compute = 0;
  std::uint64_t strategy_serve_stale = 0;
  std::uint64_t strategy_serve_fresh = 0;
  std::uint64_t total_requests = 0;
  // --- counters beyond the reference ---
  std::uint64_t cache_evictions = 0;
  std::uint64_t swr_background_dropped = 0;
  std::uint64_t latency_rejected = 0;
  std::uint64_t latency_unmeasured = 0;
  // --- the reference's 7 derived gauges (0 when their denominator is 0) ---
  double avg_latency_ms = 0;      ///< mean of the observed (sampled) latencies
  double max_latency_ms = 0;
  double min_latency_ms = 0;      ///< 0, not inf, before the first sample
  double hit_rate_pct = 0;        ///< (fresh + stale hits) / (hits + misses) x 100
  double avg_cpu_saved_pct = 0;   ///< mean cpu_saved_pct of surgical invalidations
  double vix_panic_rate_pct = 0;  ///< panics / requests that evaluated VIX x 100
  std::uint64_t golden_hour_total = 0;  ///< sum of the five zone counters
  // --- latency distribution (within 1.6 % relative error from 1 ns to 100 s) ---
  double p50_latency_ms = 0;
  double p90_latency_ms = 0;
  double p99_latency_ms = 0;
  double p999_latency_ms = 0;
  std::uint64_t latency_samples = 0;  ///< observations behind the figures above
  double latency_sample_rate = 1;     ///< configuration, not reset by any reset

  /// Calls f(std::string_view name, double value) for every field, in declaration order.
  template <class F>
  void for_each(F&& f) const {
#define SMARTCACHE_STATS_VISIT(field) f(std::string_view(#field), static_cast<double>(field))
    SMARTCACHE_STATS_VISIT(cache_hit_fresh);
    SMARTCACHE_STATS_VISIT(cache_hit_stale);
    SMARTCACHE_STATS_VISIT(cache_miss);
    SMARTCACHE_STATS_VISIT(cache_errors);
    SMARTCACHE_STATS_VISIT(vix_panic_detected);
    SMARTCACHE_STATS_VISIT(vix_warning_detected);
    SMARTCACHE_STATS_VISIT(vix_normal);
    SMARTCACHE_STATS_VISIT(cache_bypass_vix);
    SMARTCACHE_STATS_VISIT(golden_hour_standard);
    SMARTCACHE_STATS_VISIT(golden_hour_warmup);
    SMARTCACHE_STATS_VISIT(golden_hour_prematch);
    SMARTCACHE_STATS_VISIT(golden_hour_golden);
    SMARTCACHE_STATS_VISIT(golden_hour_active);
    SMARTCACHE_STATS_VISIT(swr_served_fresh);
    SMARTCACHE_STATS_VISIT(swr_served_stale);
    SMARTCACHE_STATS_VISIT(swr_too_stale);
    SMARTCACHE_STATS_VISIT(swr_background_success);
    SMARTCACHE_STATS_VISIT(swr_background_error);
    SMARTCACHE_STATS_VISIT(surgical_invalidation);
    SMARTCACHE_STATS_VISIT(full_invalidation);
    SMARTCACHE_STATS_VISIT(markets_affected_logical);
    SMARTCACHE_STATS_VISIT(cache_keys_deleted_actual);
    SMARTCACHE_STATS_VISIT(markets_preserved);
    SMARTCACHE_STATS_VISIT(strategy_bypass);
    SMARTCACHE_STATS_VISIT(strategy_compute);
    SMARTCACHE_STATS_VISIT(strategy_serve_stale);
    SMARTCACHE_STATS_VISIT(strategy_serve_fresh);
    SMARTCACHE_STATS_VISIT(total_requests);
    SMARTCACHE_STATS_VISIT(cache_evictions);
    SMARTCACHE_STATS_VISIT(swr_background_dropped);
    SMARTCACHE_STATS_VISIT(latency_rejected);
    SMARTCACHE_STATS_VISIT(latency_unmeasured);
    SMARTCACHE_STATS_VISIT(avg_latency_ms);
    SMARTCACHE_STATS_VISIT(max_latency_ms);
    SMARTCACHE_STATS_VISIT(min_latency_ms);
    SMARTCACHE_STATS_VISIT(hit_rate_pct);
    SMARTCACHE_STATS_VISIT(avg_cpu_saved_pct);
    SMARTCACHE_STATS_VISIT(vix_panic_rate_pct);
    SMARTCACHE_STATS_VISIT(golden_hour_total);
    SMARTCACHE_STATS_VISIT(p50_latency_ms);
    SMARTCACHE_STATS_VISIT(p90_latency_ms);
    SMARTCACHE_STATS_VISIT(p99_latency_ms);
    SMARTCACHE_STATS_VISIT(p999_latency_ms);
    SMARTCACHE_STATS_VISIT(latency_samples);
    SMARTCACHE_STATS_VISIT(latency_sample_rate);
#undef SMARTCACHE_STATS_VISIT
  }

  /// The field called `name`, as a double; nullopt for an unknown name.
  [[nodiscard]] std::optional<double> get(std::string_view name) const {
    std::optional<double> found;
    for_each([&](std::string_view n, double v) {
      if (!found && n == name) found = v;
    });
    return found;
  }

  /// One JSON object, keys in declaration order; integers stay integers.
  [[nodiscard]] std::string to_json() const {
    std::string out = "{";
    bool first = true;
    for_each([&](std::string_view n, double v) {
      if (!first) out += ',';
      first = false;
      if (!std::isfinite(v)) v = 0;  // JSON has no inf/NaN; Stats never holds them anyway
      if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15)
        out += fmt::format("\"{}\":{}", n, static_cast<std::int64_t>(v));
      else
        out += fmt::format("\"{}\":{}", n, v);
    });
    out += '}';
    return out;
  }

  friend bool operator==(const Stats& a, const Stats& b) noexcept {
    bool same = true;
    a.for_each([&](std::string_view n, double v) {
      auto w = b.get(n);
      if (!w || *w != v) same = false;
    });
    return same;
  }
  friend bool operator!=(const Stats& a, const Stats& b) noexcept { return !(a == b); }
};

}  // namespace smartcache
