// The end-of-day summary of examples/simulate.cpp. Example code.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <smartcache/smartcache.hpp>

#include "football_day.hpp"

namespace sim {

inline double pct(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// One line per (label, count): count, share of the total, and a bar.
inline void print_breakdown(std::string_view title,
                            const std::vector<std::pair<std::string_view, std::uint64_t>>& rows,
                            std::uint64_t total) {
  bool first = true;
  for (const auto& [label, n] : rows) {
    const double share = pct(n, total);
    const auto bar = static_cast<std::size_t>(share / 100.0 * 30.0 + 0.5);
    fmt::print("{:<14}{:<12}{:>10}  {:5.1f} %  {}\n", first ? title : "", label, grouped(n), share,
               std::string(bar, '#'));
    first = false;
  }
}

inline std::string ms(double v) {
  return v < 1.0 ? fmt::format(v < 0.01 ? "{:.2f} \u00b5s" : "{:.1f} \u00b5s", v * 1000.0)
                 : fmt::format("{:.2f} ms", v);
}

inline void print_summary(const Outcome& o, const smartcache::Stats& s, const Options& opt,
                          std::string_view store) {
  fmt::print("\nsmartcache simulate: {:.1f} simulated hours in {:.1f} s (seed {}, {})\n",
             o.simulated_hours, o.real_seconds, opt.seed, store);
  fmt::print(
      "  {} matches ({} today, {} tomorrow) and {} outright markets; {} entries cached at the "
      "end\n\n",
      o.matches_today + o.matches_tomorrow, o.matches_today, o.matches_tomorrow,
      leagues.size() * outright_markets.size(),
      o.keys ? grouped(*o.keys) : std::string("an unknown number of"));

  fmt::print("{:<14}{} ({:.1f} per simulated second)\n", "Requests", grouped(s.total_requests),
             static_cast<double>(s.total_requests) / (o.simulated_hours * 3600.0));
  fmt::print("{:<14}{:.1f} %  ({} fresh + {} stale hits, {} misses of which {} too stale)\n\n",
             "Hit rate", s.hit_rate_pct, grouped(s.cache_hit_fresh), grouped(s.cache_hit_stale),
             grouped(s.cache_miss), grouped(s.swr_too_stale));

  print_breakdown("Strategies",
                  {{"serve_fresh", s.strategy_serve_fresh}, {"serve_stale", s.strategy_serve_stale},
                   {"compute", s.strategy_compute}, {"bypass", s.strategy_bypass}},
                  s.total_requests);
  fmt::print("\n");
  print_breakdown("Zones",
                  {{"standard", s.golden_hour_standard}, {"warmup", s.golden_hour_warmup},
                   {"prematch", s.golden_hour_prematch}, {"golden", s.golden_hour_golden},
                   {"active", s.golden_hour_active}},
                  s.golden_hour_total);
  fmt::print("\n");
  print_breakdown("VIX",
                  {{"normal", s.vix_normal}, {"warning", s.vix_warning_detected},
                   {"panic", s.vix_panic_detected}},
                  s.vix_normal + s.vix_warning_detected + s.vix_panic_detected);
  fmt::print("{:<14}panic rate {:.2f} %: {} requests bypassed the cache; warnings halved TTLs\n\n",
             "", s.vix_panic_rate_pct, grouped(s.cache_bypass_vix));

  fmt::print(
      "{:<14}{} stale served while refreshing; background refreshes: {} ok, {} failed, {} "
      "dropped\n\n",
      "SWR", grouped(s.swr_served_stale), grouped(s.swr_background_success),
      grouped(s.swr_background_error), grouped(s.swr_background_dropped));

  std::string events;
  for (const auto& [type, n] : o.events)
    events += fmt::format("{}{} {}", events.empty() ? "" : ", ", type, n);
  fmt::print("{:<14}{}\n", "Events", events.empty() ? "none" : events);
  fmt::print("{:<14}{} surgical, {} full ({} nightly model redeploy)\n", "Invalidations",
             grouped(s.surgical_invalidation), grouped(s.full_invalidation), o.redeploys);
  fmt::print(
      "{:<14}LOGICAL markets affected {}  vs  ACTUAL keys deleted {}  ({} markets preserved)\n", "",
      grouped(s.markets_affected_logical), grouped(s.cache_keys_deleted_actual),
      grouped(s.markets_preserved));
  fmt::print("{:<14}CPU saved by surgical instead of full invalidation: {:.1f} % on average\n\n",
             "", s.avg_cpu_saved_pct);

  fmt::print("{:<14}p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  ({} samples)\n", "Latency",
             ms(s.p50_latency_ms), ms(s.p90_latency_ms), ms(s.p99_latency_ms),
             ms(s.p999_latency_ms), ms(s.max_latency_ms), grouped(s.latency_samples));
  const std::uint64_t saved = s.total_requests > o.computes ? s.total_requests - o.computes : 0;
  const double mean_cost =
      o.computes == 0 ? 0.0 : o.model_cost_ms / static_cast<double>(o.computes);
  fmt::print("{:<14}{} model calls for {} requests: {} computes saved ({:.1f} %)\n", "Computes",
             grouped(o.computes), grouped(s.total_requests), grouped(saved),
             pct(saved, s.total_requests));
  fmt::print(
      "{:<14}about {:.0f} s of model CPU saved at {:.2f} ms a call; {:.1f} s spent (cost scale "
      "{})\n",
      "", static_cast<double>(saved) * mean_cost / 1000.0, mean_cost, o.model_cpu_ms / 1000.0,
      opt.cost_scale);
  fmt::print(
      "{:<14}{} model failures ({} in background refreshes, the stale value stayed); {} reached "
      "the "
      "caller; {} store errors\n",
      "Errors", grouped(o.compute_failures), grouped(s.swr_background_error),
      grouped(o.failed_requests), grouped(s.cache_errors));
}

// The memory tier of simulate --tiered: where lookups were answered, and the
// reads Redis served for the day over plain RedisStore instances (`plain`)
// against the same day over TieredStore instances (`tiered`).
inline void print_tiers(const smartcache::Stats& s, std::uint64_t plain, std::uint64_t tiered,
                        const Options& opt) {
  const std::uint64_t lookups = s.cache_hit_fresh + s.cache_hit_stale + s.cache_miss;
  const double memory_ratio = pct(s.tier_memory_hits, lookups);
  fmt::print("\n{:<14}{} lookups: {} answered by the memory tier ({:.1f} %), {} hits from Redis, {} misses\n",
             "Tiers", grouped(lookups), grouped(s.tier_memory_hits), memory_ratio, grouped(s.tier_redis_hits),
             grouped(s.cache_miss));
  fmt::print("{:<14}memory_max_ttl {:g} s; {} notifications; memory tier cleared {} times by a flush, {} by a lost "
             "connection, {} by a heartbeat; {} reconnects\n",
             "", opt.memory_max_ttl_s, grouped(s.tier_notifications), s.tier_clears_flush, s.tier_clears_disconnect,
             s.tier_clears_heartbeat, s.tier_reconnects);
  const double drop = plain == 0 ? 0.0 : 100.0 - pct(tiered, plain);
  fmt::print("{:<14}{} over {} RedisStore instances  vs  {} over {} TieredStore instances: {:.1f} % fewer\n",
             "Redis reads", grouped(plain), opt.instances, grouped(tiered), opt.instances, drop);
  fmt::print("{:<14}(MGET calls, the stores' data reads, counted by Redis; own-write checks included):\n"
             "{:<14}the drop is {} the memory tier's hit ratio\n",
             "", "", drop >= memory_ratio ? "at least" : "BELOW");
}

// The same day run without the soft timeout (simulate --compare-deadlines).
struct Control {
  Outcome outcome;
  smartcache::Stats stats;
};

// The hanging model and what the soft timeout did about it; with the same day
// run without it (`without`), the latencies side by side.
inline void print_deadlines(const Outcome& o, const smartcache::Stats& s,
                            const std::optional<Control>& without, const Options& opt) {
  fmt::print("{:<14}the model hung {} times ({:.2f} % of its calls, {:.0f} ms each)", "Deadlines",
             grouped(o.compute_hangs), pct(o.compute_hangs, o.computes), opt.hang_ms);
  if (opt.soft_timeout_ms <= 0) {
    fmt::print("; no soft timeout: its callers waited\n");
    return;
  }
  fmt::print("; soft timeout {:.0f} ms\n", opt.soft_timeout_ms);
  fmt::print("{:<14}{} answers served stale at the soft timeout instead of waiting; {} computes "
             "refused by a full pool\n",
             "", grouped(s.compute_soft_timeouts), grouped(s.compute_pool_rejections));
  const auto line = [&](std::string_view name, const smartcache::Stats& st, const Outcome& oc) {
    fmt::print("{:<14}{:<12}p99 {}  p99.9 {}  max {};  {} answers took {:.1f} ms or more\n", "", name,
               ms(st.p99_latency_ms), ms(st.p999_latency_ms), ms(st.max_latency_ms),
               grouped(oc.hung_answers), opt.hang_ms / 2);
  };
  if (without) line("without it:", without->stats, without->outcome);
  line(without ? "with it:" : "latencies:", s, o);
  if (without && without->outcome.hung_answers > o.hung_answers)
    fmt::print("{:<14}the soft timeout saved {} of {} answers that waited for a hung model\n", "",
               grouped(without->outcome.hung_answers - o.hung_answers), grouped(without->outcome.hung_answers));
}

}  // namespace sim
