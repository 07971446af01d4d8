// smartcache - Stats: a typed snapshot of CacheMetrics, by the reference's key names.
// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <smartcache/metrics/counters.hpp>

namespace smartcache {

/// A consistent snapshot of the metrics window (what happened since the last
/// reset of each category). A plain value: copy it, compare it, print it.
///
/// Example:
///   smartcache::Stats s = metrics.get_stats();
///   fmt::print("hit rate {:.1f}% p99 {:.3f} ms\n", s.hit_rate_pct, s.p99_latency_ms);
///   s.for_each([](std::string_view name, double value) { ... });
struct Stats {
  // --- one field per counter (SMARTCACHE_COUNTERS): the reference's 28, then ours ---
#define SMARTCACHE_STATS_COUNTER_FIELD(name, category) std::uint64_t name = 0;
  SMARTCACHE_COUNTERS(SMARTCACHE_STATS_COUNTER_FIELD)
#undef SMARTCACHE_STATS_COUNTER_FIELD

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

  // --- latency per strategy (the requests recorded with record_request; 0 when none) ---
  double p50_serve_fresh_ms = 0;
  double p99_serve_fresh_ms = 0;
  double p50_serve_stale_ms = 0;
  double p99_serve_stale_ms = 0;
  double p50_compute_ms = 0;
  double p99_compute_ms = 0;
  double p50_bypass_ms = 0;
  double p99_bypass_ms = 0;

/// The fields after the counters, in declaration order: X(name, derived) (the
/// same two-argument shape as SMARTCACHE_COUNTERS, so one X serves both).
#define SMARTCACHE_STATS_DERIVED(X)                                                     \
  X(avg_latency_ms, derived) X(max_latency_ms, derived) X(min_latency_ms, derived)      \
  X(hit_rate_pct, derived) X(avg_cpu_saved_pct, derived) X(vix_panic_rate_pct, derived) \
  X(golden_hour_total, derived) X(p50_latency_ms, derived) X(p90_latency_ms, derived)   \
  X(p99_latency_ms, derived) X(p999_latency_ms, derived) X(latency_samples, derived)    \
  X(latency_sample_rate, derived) X(p50_serve_fresh_ms, derived)                        \
  X(p99_serve_fresh_ms, derived) X(p50_serve_stale_ms, derived)                         \
  X(p99_serve_stale_ms, derived) X(p50_compute_ms, derived) X(p99_compute_ms, derived)  \
  X(p50_bypass_ms, derived) X(p99_bypass_ms, derived)

  /// Calls f(std::string_view name, double value) for every field, in declaration order.
  template <class F>
  void for_each(F&& f) const {
#define SMARTCACHE_STATS_VISIT(field, kind) f(std::string_view(#field), static_cast<double>(field));
    SMARTCACHE_COUNTERS(SMARTCACHE_STATS_VISIT)
    SMARTCACHE_STATS_DERIVED(SMARTCACHE_STATS_VISIT)
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

  /// Field-wise equality.
  friend bool operator==(const Stats& a, const Stats& b) noexcept {
#define SMARTCACHE_STATS_SAME(field, kind) && a.field == b.field
    return true SMARTCACHE_COUNTERS(SMARTCACHE_STATS_SAME) SMARTCACHE_STATS_DERIVED(SMARTCACHE_STATS_SAME);
#undef SMARTCACHE_STATS_SAME
  }
  friend bool operator!=(const Stats& a, const Stats& b) noexcept { return !(a == b); }
};

}  // namespace smartcache
