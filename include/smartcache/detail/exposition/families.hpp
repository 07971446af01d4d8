// smartcache - the exported families: names, HELP texts, labels, and the
// counter behind each series. The one table every exposition format reads.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include <smartcache/detail/metrics/names.hpp>
#include <smartcache/metrics/counters.hpp>
#include <smartcache/types.hpp>

namespace smartcache::detail {

// One series of a counter family: the value of the family's label ("" when
// the family has none) and the counter it exports.
struct SeriesSpec {
  std::string_view label_value;
  Counter counter;
};

// A counter family: its name after "<namespace>_" (ending in _total), HELP,
// its partition label ("" for none, else one of partition_labels) and series.
struct CounterFamilySpec {
  std::string_view name;
  std::string_view help;
  std::string_view label;
  std::array<SeriesSpec, 5> series;
  std::size_t series_count;
};

inline constexpr CounterFamilySpec counter_families[] = {
    {"requests_total", "Requests answered through the cache, whatever the strategy.", "",
     {{{"", Counter::total_requests}}}, 1},
    {"lookups_total",
     "Store lookups by result: fresh hit, stale hit (inside the stale window), miss (absent or "
     "past the stale window).",
     label_result,
     {{{"fresh", Counter::cache_hit_fresh},
       {"stale", Counter::cache_hit_stale},
       {"miss", Counter::cache_miss}}},
     3},
    {"swr_too_stale_total", "Lookups that found an entry past its stale window (also misses).", "",
     {{{"", Counter::swr_too_stale}}}, 1},
    {"store_errors_total", "Store operations that failed; the request was still served.", "",
     {{{"", Counter::cache_errors}}}, 1},
    {"evictions_total", "Entries evicted by a bounded store to make room.", "",
     {{{"", Counter::cache_evictions}}}, 1},
    {"vix_requests_total", "Requests by summarised volatility (VIX) status.", label_vix,
     {{{to_string(VixStatus::normal), Counter::vix_normal},
       {to_string(VixStatus::warning), Counter::vix_warning_detected},
       {to_string(VixStatus::panic), Counter::vix_panic_detected}}},
     3},
    {"zone_requests_total", "Requests by time-to-kickoff zone.", label_zone,
     {{{to_string(Zone::standard), Counter::golden_hour_standard},
       {to_string(Zone::warmup), Counter::golden_hour_warmup},
       {to_string(Zone::prematch), Counter::golden_hour_prematch},
       {to_string(Zone::golden), Counter::golden_hour_golden},
       {to_string(Zone::active), Counter::golden_hour_active}}},
     5},
    {"strategy_requests_total", "Requests by how they were answered (bypass = VIX panic).",
     label_strategy,
     {{{to_string(Strategy::bypass), Counter::strategy_bypass},
       {to_string(Strategy::compute), Counter::strategy_compute},
       {to_string(Strategy::serve_stale), Counter::strategy_serve_stale},
       {to_string(Strategy::serve_fresh), Counter::strategy_serve_fresh}}},
     4},
    {"swr_refreshes_total", "Background refreshes by result.", label_result,
     {{{"success", Counter::swr_background_success},
       {"error", Counter::swr_background_error},
       {"dropped", Counter::swr_background_dropped}}},
     3},
    {"surgical_invalidations_total", "Invalidations that erased only the keys an event touches.",
     "", {{{"", Counter::surgical_invalidation}}}, 1},
    {"full_invalidations_total", "Invalidations that erased every key (unknown event, or all).", "",
     {{{"", Counter::full_invalidation}}}, 1},
    {"invalidation_markets_affected_total", "Markets that invalidation events touched (logical).",
     "", {{{"", Counter::markets_affected_logical}}}, 1},
    {"invalidation_keys_deleted_total", "Cache keys that invalidations actually deleted.", "",
     {{{"", Counter::cache_keys_deleted_actual}}}, 1},
    {"invalidation_markets_preserved_total",
     "Known markets that surgical invalidations left untouched.", "",
     {{{"", Counter::markets_preserved}}}, 1},
    {"latency_rejected_total",
     "Latency observations rejected as negative, NaN, infinite or above an hour.", "",
     {{{"", Counter::latency_rejected}}}, 1},
    {"latency_unmeasured_total", "Requests whose latency could not be measured (clock failure).",
     "", {{{"", Counter::latency_unmeasured}}}, 1},
    {"compute_soft_timeouts_total",
     "Requests served a stale entry because their compute outran the soft timeout.", "",
     {{{"", Counter::compute_soft_timeouts}}}, 1},
    {"compute_hard_timeouts_total",
     "Requests whose compute outran the hard timeout (served stale, else ComputeTimeout).", "",
     {{{"", Counter::compute_hard_timeouts}}}, 1},
    {"compute_pool_rejections_total",
     "Computes with a deadline that found the compute pool full.", "",
     {{{"", Counter::compute_pool_rejections}}}, 1},
    {"eager_refreshes_total", "Background refreshes scheduled by a fresh hit on an ageing entry.",
     "", {{{"", Counter::eager_refreshes}}}, 1},
    {"refreshes_abandoned_total",
     "Background refreshes that outran refresh_timeout and gave up their key's slot.", "",
     {{{"", Counter::refreshes_abandoned}}}, 1},
    {"tier_hits_total", "Hits by the store tier that answered them (TieredStore: memory or redis).",
     label_tier,
     {{{to_string(Tier::memory), Counter::tier_memory_hits}, {to_string(Tier::redis), Counter::tier_redis_hits}}},
     2},
    {"tier_notifications_total",
     "Invalidation messages a TieredStore received from Redis (each names one or more keys).", "",
     {{{"", Counter::tier_notifications}}}, 1},
    {"tier_clears_total",
     "Times a TieredStore cleared its memory tier, by cause: a flush seen in Redis, the "
     "notification connection lost, its heartbeat unanswered.",
     label_cause,
     {{{"flush", Counter::tier_clears_flush},
       {"disconnect", Counter::tier_clears_disconnect},
       {"heartbeat", Counter::tier_clears_heartbeat}}},
     3},
    {"tier_reconnects_total",
     "Times a TieredStore re-established its notification subscription after losing it.", "",
     {{{"", Counter::tier_reconnects}}}, 1},
};

// Counters with no series of their own: each always equals the series of the
// counter beside it (the same request records both), so exporting it would
// give a family that always equals another.
inline constexpr std::pair<Counter, Counter> counters_exported_as[] = {
    {Counter::swr_served_fresh, Counter::cache_hit_fresh},
    {Counter::swr_served_stale, Counter::cache_hit_stale},
    {Counter::cache_bypass_vix, Counter::strategy_bypass},
};

// The families that are not plain counters.
inline constexpr std::string_view cpu_saved_family = "invalidation_cpu_saved_ratio";
inline constexpr std::string_view cpu_saved_help =
    "Share of known markets a surgical invalidation preserved (0..1).";
inline constexpr std::string_view duration_family = "request_duration_seconds";
inline constexpr std::string_view duration_help =
    "Request latency through the cache by strategy (sampled; unspecified: recorded without one).";
inline constexpr std::string_view sample_ratio_family = "latency_sample_ratio";
inline constexpr std::string_view sample_ratio_help =
    "Fraction of requests whose latency is observed.";

// The lines of an exposition with `histogram_series` latency series of
// `bounds` bounds each (HELP and TYPE included; OpenMetrics about doubles the
// counter lines with _created), for sizing the output once.
constexpr std::size_t exposition_line_count(std::size_t histogram_series, std::size_t bounds) noexcept {
  std::size_t lines = 0;
  for (const auto& f : counter_families) lines += 2 + 2 * f.series_count;
  return lines + 5 + 2 + histogram_series * (bounds + 4) + 3;
}

// Each format's slot in a CacheMetrics' FormatCache (its compiled text).
inline constexpr std::size_t prometheus_format_slot = 0;
inline constexpr std::size_t openmetrics_format_slot = 1;

// Every counter is exported exactly once, by its own series or as another's.
constexpr bool every_counter_exported_once() noexcept {
  std::array<int, counter_count> seen{};
  for (const auto& f : counter_families)
    for (std::size_t i = 0; i < f.series_count; ++i) ++seen[static_cast<std::size_t>(f.series[i].counter)];
  for (const auto& [c, as] : counters_exported_as) ++seen[static_cast<std::size_t>(c)];
  for (int n : seen)
    if (n != 1) return false;
  return true;
}
static_assert(every_counter_exported_once(), "a counter is exported twice or not at all");

}  // namespace smartcache::detail
