// smartcache - the names of everything CacheMetrics counts, and their categories.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace smartcache {

/// The one list of counters, from which the enum, the names, the categories,
/// the `Stats` fields and their visiting are derived: X(name, category).
/// The first 28 carry the reference service's stats keys as names (see
/// docs/design.md); the rest are counters the reference did not have.
/// Append only: the order is the enum's.
#define SMARTCACHE_COUNTERS(X)                                                        \
  /* cache: lookup outcome */                                                         \
  X(cache_hit_fresh, cache)                                                           \
  X(cache_hit_stale, cache)                                                           \
  X(cache_miss, cache)                                                                \
  X(cache_errors, cache)                                                              \
  /* vix */                                                                           \
  X(vix_panic_detected, vix)                                                          \
  X(vix_warning_detected, vix)                                                        \
  X(vix_normal, vix)                                                                  \
  X(cache_bypass_vix, vix)                                                            \
  /* golden_hour: requests per zone */                                                \
  X(golden_hour_standard, golden_hour)                                                \
  X(golden_hour_warmup, golden_hour)                                                  \
  X(golden_hour_prematch, golden_hour)                                                \
  X(golden_hour_golden, golden_hour)                                                  \
  X(golden_hour_active, golden_hour)                                                  \
  /* swr */                                                                           \
  X(swr_served_fresh, swr)                                                            \
  X(swr_served_stale, swr)                                                            \
  X(swr_too_stale, swr)                                                               \
  X(swr_background_success, swr)                                                      \
  X(swr_background_error, swr)                                                        \
  /* tagmanager */                                                                    \
  X(surgical_invalidation, tagmanager)                                                \
  X(full_invalidation, tagmanager)                                                    \
  X(markets_affected_logical, tagmanager)                                             \
  X(cache_keys_deleted_actual, tagmanager)                                            \
  X(markets_preserved, tagmanager)                                                    \
  /* strategy: exactly one per request */                                             \
  X(strategy_bypass, strategy)                                                        \
  X(strategy_compute, strategy)                                                       \
  X(strategy_serve_stale, strategy)                                                   \
  X(strategy_serve_fresh, strategy)                                                   \
  /* performance */                                                                   \
  X(total_requests, performance)                                                      \
  /* --- beyond the reference --- */                                                  \
  /* entries a bounded store evicted to make room */                                  \
  X(cache_evictions, cache)                                                           \
  /* refreshes dropped because the executor was full or refused */                    \
  X(swr_background_dropped, swr)                                                      \
  /* negative, NaN, infinite or above-an-hour latencies not observed */              \
  X(latency_rejected, performance)                                                    \
  /* requests whose latency clock failed */                                           \
  X(latency_unmeasured, performance)                                                  \
  /* deadlines: served stale at the soft timeout; past the hard timeout */            \
  X(compute_soft_timeouts, performance)                                               \
  X(compute_hard_timeouts, performance)                                               \
  /* computes with a deadline the compute pool had no room for */                     \
  X(compute_pool_rejections, performance)                                             \
  /* background refreshes scheduled by a fresh hit (eager refresh) */                 \
  X(eager_refreshes, swr)                                                             \
  /* refreshes that outran refresh_timeout and gave up their key's slot */            \
  X(refreshes_abandoned, swr)                                                         \
  /* TieredStore: hits answered by each tier (counted from StoredValue::tier) */      \
  X(tier_memory_hits, cache)                                                          \
  X(tier_redis_hits, cache)                                                           \
  /* TieredStore: invalidation messages received on the notification connection */   \
  X(tier_notifications, cache)                                                        \
  /* TieredStore: memory-tier clears by cause (flush seen; connection lost; */        \
  /* heartbeat unanswered) */                                                         \
  X(tier_clears_flush, cache)                                                         \
  X(tier_clears_disconnect, cache)                                                    \
  X(tier_clears_heartbeat, cache)                                                     \
  /* TieredStore: notification subscriptions re-established after a loss */           \
  X(tier_reconnects, cache)

/// Every counter of the cache, in the order of SMARTCACHE_COUNTERS.
enum class Counter : std::uint8_t {
#define SMARTCACHE_COUNTER_ENUMERATOR(name, category) name,
  SMARTCACHE_COUNTERS(SMARTCACHE_COUNTER_ENUMERATOR)
#undef SMARTCACHE_COUNTER_ENUMERATOR
};

#define SMARTCACHE_COUNTER_ONE(name, category) +1
inline constexpr std::size_t counter_count = 0 SMARTCACHE_COUNTERS(SMARTCACHE_COUNTER_ONE);
#undef SMARTCACHE_COUNTER_ONE
/// The reference's counters are the first ones of the enum.
inline constexpr std::size_t seed_counter_count = 28;
static_assert(static_cast<std::size_t>(Counter::total_requests) + 1 == seed_counter_count);

/// Groups of counters that reset together.
enum class Category : std::uint8_t { vix, golden_hour, swr, tagmanager, strategy, performance, cache, all };

inline constexpr std::size_t category_count = 8;

namespace detail {

struct CounterInfo {
  Counter counter;
  std::string_view name;
  Category category;
};

inline constexpr std::array<CounterInfo, counter_count> counter_table{{
#define SMARTCACHE_COUNTER_INFO(name, category) {Counter::name, #name, Category::category},
    SMARTCACHE_COUNTERS(SMARTCACHE_COUNTER_INFO)
#undef SMARTCACHE_COUNTER_INFO
}};

inline constexpr std::array<std::string_view, category_count> category_names{
    "vix", "golden_hour", "swr", "tagmanager", "strategy", "performance", "cache", "all"};

}  // namespace detail

[[nodiscard]] constexpr std::string_view to_string(Counter c) noexcept {
  return detail::counter_table[static_cast<std::size_t>(c)].name;
}

[[nodiscard]] constexpr Category category_of(Counter c) noexcept {
  return detail::counter_table[static_cast<std::size_t>(c)].category;
}

[[nodiscard]] constexpr std::string_view to_string(Category c) noexcept {
  return detail::category_names[static_cast<std::size_t>(c)];
}

/// The counter called `name` (the reference's stats key), if there is one.
[[nodiscard]] constexpr std::optional<Counter> parse_counter(std::string_view name) noexcept {
  for (const auto& info : detail::counter_table)
    if (info.name == name) return info.counter;
  return std::nullopt;
}

/// The category called `name`, if there is one.
[[nodiscard]] constexpr std::optional<Category> parse_category(std::string_view name) noexcept {
  for (std::size_t i = 0; i < category_count; ++i)
    if (detail::category_names[i] == name) return static_cast<Category>(i);
  return std::nullopt;
}

}  // namespace smartcache
