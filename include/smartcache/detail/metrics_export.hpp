// smartcache - how CacheMetrics turns its counters into Stats and into the
// Prometheus exposition. Included at the end of metrics.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "../metrics.hpp"

namespace smartcache {

inline Stats CacheMetrics::make_stats(const std::array<std::uint64_t, counter_count>& w,
                                      const detail::LatencyHistogram& latency, double min_ms,
                                      double max_ms, double cpu_sum, std::uint64_t cpu_count) {
  const auto at = [&w](Counter c) { return w[index(c)]; };
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

inline std::string CacheMetrics::to_prometheus() const {
  std::array<std::uint64_t, counter_count> c{};
  std::vector<std::uint64_t> cumulative;
  std::uint64_t latency_count = 0;
  double latency_sum_ms = 0, cpu_sum = 0;
  std::uint64_t cpu_count = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    c = lifetime_locked();
    cumulative = latency_.cumulative_counts();
    latency_count = latency_.count();
    latency_sum_ms = latency_.sum_ms();
    cpu_sum = cpu_saved_sum_;
    cpu_count = cpu_saved_count_;
  }
  const auto at = [&c](Counter k) { return c[index(k)]; };

  std::string out;
  out.reserve(6144);
  detail::ExpositionWriter w(out, options_.prometheus_namespace, options_.const_labels);

  w.family("requests_total", "counter", "Requests answered by the cache, whatever the strategy.");
  w.sample("requests_total", {}, at(Counter::total_requests));

  w.family("cache_hits_total", "counter", "Lookups that found an entry, by freshness.");
  w.sample("cache_hits_total", {{"freshness", "fresh"}}, at(Counter::cache_hit_fresh));
  w.sample("cache_hits_total", {{"freshness", "stale"}}, at(Counter::cache_hit_stale));

  w.family("cache_misses_total", "counter",
           "Lookups that found no entry or one past its stale window.");
  w.sample("cache_misses_total", {}, at(Counter::cache_miss));

  w.family("cache_errors_total", "counter",
           "Store operations that failed; the request was still served.");
  w.sample("cache_errors_total", {}, at(Counter::cache_errors));

  w.family("cache_evictions_total", "counter", "Entries evicted by a bounded store to make room.");
  w.sample("cache_evictions_total", {}, at(Counter::cache_evictions));

  w.family("vix_requests_total", "counter", "Requests by summarised volatility (VIX) status.");
  w.sample("vix_requests_total", {{"status", "normal"}}, at(Counter::vix_normal));
  w.sample("vix_requests_total", {{"status", "warning"}}, at(Counter::vix_warning_detected));
  w.sample("vix_requests_total", {{"status", "panic"}}, at(Counter::vix_panic_detected));

  w.family("vix_bypass_total", "counter", "Requests that bypassed the cache on VIX panic.");
  w.sample("vix_bypass_total", {}, at(Counter::cache_bypass_vix));

  w.family("zone_requests_total", "counter", "Requests by time-to-kickoff zone.");
  for (const Zone z : {Zone::standard, Zone::warmup, Zone::prematch, Zone::golden, Zone::active})
    w.sample("zone_requests_total", {{"zone", to_string(z)}}, c[zone_counter(z)]);

  w.family("swr_lookups_total", "counter", "Stale-while-revalidate lookup outcomes.");
  w.sample("swr_lookups_total", {{"outcome", "fresh"}}, at(Counter::swr_served_fresh));
  w.sample("swr_lookups_total", {{"outcome", "stale"}}, at(Counter::swr_served_stale));
  w.sample("swr_lookups_total", {{"outcome", "too_stale"}}, at(Counter::swr_too_stale));

  w.family("swr_refreshes_total", "counter", "Background refreshes by result.");
  w.sample("swr_refreshes_total", {{"result", "success"}}, at(Counter::swr_background_success));
  w.sample("swr_refreshes_total", {{"result", "error"}}, at(Counter::swr_background_error));
  w.sample("swr_refreshes_total", {{"result", "dropped"}}, at(Counter::swr_background_dropped));

  w.family("strategy_requests_total", "counter", "Requests by how they were answered.");
  for (const Strategy s :
       {Strategy::bypass, Strategy::compute, Strategy::serve_stale, Strategy::serve_fresh})
    w.sample("strategy_requests_total", {{"strategy", to_string(s)}}, c[strategy_counter(s)]);

  w.family("invalidations_total", "counter", "Invalidations by kind.");
  w.sample("invalidations_total", {{"kind", "surgical"}}, at(Counter::surgical_invalidation));
  w.sample("invalidations_total", {{"kind", "full"}}, at(Counter::full_invalidation));

  w.family("invalidation_markets_affected_total", "counter",
           "Markets that invalidation events touched (logical).");
  w.sample("invalidation_markets_affected_total", {}, at(Counter::markets_affected_logical));

  w.family("invalidation_keys_deleted_total", "counter",
           "Cache keys that invalidations actually deleted.");
  w.sample("invalidation_keys_deleted_total", {}, at(Counter::cache_keys_deleted_actual));

  w.family("invalidation_markets_preserved_total", "counter",
           "Known markets that surgical invalidations left untouched.");
  w.sample("invalidation_markets_preserved_total", {}, at(Counter::markets_preserved));

  w.summary("invalidation_cpu_saved_ratio",
            "Share of known markets a surgical invalidation preserved (0..1).", cpu_count,
            cpu_sum / 100.0);

  w.histogram("request_duration_seconds", "Request latency through the cache (sampled).",
              options_.latency_buckets_seconds, cumulative, latency_count, latency_sum_ms / 1000.0);

  w.family("latency_rejected_total", "counter",
           "Latency observations rejected as negative, NaN, infinite or above an hour.");
  w.sample("latency_rejected_total", {}, at(Counter::latency_rejected));

  w.family("latency_unmeasured_total", "counter",
           "Requests whose latency could not be measured (clock failure).");
  w.sample("latency_unmeasured_total", {}, at(Counter::latency_unmeasured));

  w.family("latency_sample_ratio", "gauge", "Fraction of requests whose latency is observed.");
  w.sample("latency_sample_ratio", {}, latency_sample_rate());
  return out;
}

}  // namespace smartcache
