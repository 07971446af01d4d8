// smartcache - the names of everything CacheMetrics counts, and their categories.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace smartcache {

/// Every counter of the cache. The first 28 carry the reference service's
/// stats keys as names; the rest are counters the reference did not have.
enum class Counter : std::uint8_t {
  // cache: lookup outcome
  cache_hit_fresh,
  cache_hit_stale,
  cache_miss,
  cache_errors,
  // vix
  vix_panic_detected,
  vix_warning_detected,
  vix_normal,
  cache_bypass_vix,
  // golden_hour: requests per zone
  golden_hour_standard,
  golden_hour_warmup,
  golden_hour_prematch,
  golden_hour_golden,
  golden_hour_active,
  // swr
  swr_served_fresh,
  swr_served_stale,
  swr_too_stale,
  swr_background_success,
  swr_background_error,
  // tagmanager
  surgical_invalidation,
  full_invalidation,
  markets_affected_logical,
  cache_keys_deleted_actual,
  markets_preserved,
  // strategy: exactly one per request
  strategy_bypass,
  strategy_compute,
  strategy_serve_stale,
  strategy_serve_fresh,
  // performance
  total_requests,
  // --- beyond the reference ---
  cache_evictions,         ///< cache: entries a bounded store evicted to make room
  swr_background_dropped,  ///< swr: refreshes dropped because the executor was full or refused
  latency_rejected,        ///< performance: negative, NaN, infinite or above-an-hour latencies not observed
  latency_unmeasured,      ///< performance: requests whose latency clock failed
};

inline constexpr std::size_t counter_count = static_cast<std::size_t>(Counter::latency_unmeasured) + 1;
/// The reference's counters are the first ones of the enum.
inline constexpr std::size_t seed_counter_count = 28;

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
    {Counter::cache_hit_fresh, "cache_hit_fresh", Category::cache},
    {Counter::cache_hit_stale, "cache_hit_stale", Category::cache},
    {Counter::cache_miss, "cache_miss", Category::cache},
    {Counter::cache_errors, "cache_errors", Category::cache},
    {Counter::vix_panic_detected, "vix_panic_detected", Category::vix},
    {Counter::vix_warning_detected, "vix_warning_detected", Category::vix},
    {Counter::vix_normal, "vix_normal", Category::vix},
    {Counter::cache_bypass_vix, "cache_bypass_vix", Category::vix},
    {Counter::golden_hour_standard, "golden_hour_standard", Category::golden_hour},
    {Counter::golden_hour_warmup, "golden_hour_warmup", Category::golden_hour},
    {Counter::golden_hour_prematch, "golden_hour_prematch", Category::golden_hour},
    {Counter::golden_hour_golden, "golden_hour_golden", Category::golden_hour},
    {Counter::golden_hour_active, "golden_hour_active", Category::golden_hour},
    {Counter::swr_served_fresh, "swr_served_fresh", Category::swr},
    {Counter::swr_served_stale, "swr_served_stale", Category::swr},
    {Counter::swr_too_stale, "swr_too_stale", Category::swr},
    {Counter::swr_background_success, "swr_background_success", Category::swr},
    {Counter::swr_background_error, "swr_background_error", Category::swr},
    {Counter::surgical_invalidation, "surgical_invalidation", Category::tagmanager},
    {Counter::full_invalidation, "full_invalidation", Category::tagmanager},
    {Counter::markets_affected_logical, "markets_affected_logical", Category::tagmanager},
    {Counter::cache_keys_deleted_actual, "cache_keys_deleted_actual", Category::tagmanager},
    {Counter::markets_preserved, "markets_preserved", Category::tagmanager},
    {Counter::strategy_bypass, "strategy_bypass", Category::strategy},
    {Counter::strategy_compute, "strategy_compute", Category::strategy},
    {Counter::strategy_serve_stale, "strategy_serve_stale", Category::strategy},
    {Counter::strategy_serve_fresh, "strategy_serve_fresh", Category::strategy},
    {Counter::total_requests, "total_requests", Category::performance},
    {Counter::cache_evictions, "cache_evictions", Category::cache},
    {Counter::swr_background_dropped, "swr_background_dropped", Category::swr},
    {Counter::latency_rejected, "latency_rejected", Category::performance},
    {Counter::latency_unmeasured, "latency_unmeasured", Category::performance},
}};

constexpr bool counter_table_matches_enum() noexcept {
  for (std::size_t i = 0; i < counter_count; ++i)
    if (static_cast<std::size_t>(counter_table[i].counter) != i) return false;
  return true;
}
static_assert(counter_table_matches_enum(), "counter_table must list counters in enum order");

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
