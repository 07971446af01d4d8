// smartcache - vocabulary types shared by the policy, the cache and the metrics.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

namespace smartcache {

/// Wall-clock time point used for everything stored: entries are shared
/// between processes (RedisStore), so their horizons are absolute wall time.
using WallTime = std::chrono::system_clock::time_point;

/// Volatility status of one market feed; a request summarises all of its feeds
/// into one status with `vix_status_summary` (panic > warning > normal).
enum class VixStatus { normal, warning, panic };

/// Time-to-kickoff zone that decides an entry's fresh TTL and stale window.
enum class Zone { standard, warmup, prematch, golden, active };

/// How one request was answered. Exactly one per request.
enum class Strategy { bypass, compute, serve_stale, serve_fresh };

/// What a store lookup found, as seen by one request.
enum class Lookup {
  none,       ///< no lookup happened (disabled cache, VIX bypass)
  fresh,      ///< an entry within its fresh TTL
  stale,      ///< an entry past its TTL but inside its stale window
  too_stale,  ///< an entry past its stale window (treated as a miss)
  miss,       ///< no entry
};

/// Which tier of a tiered store answered a lookup (TieredStore: its
/// in-process memory tier or Redis); `none` for a store without tiers.
enum class Tier : unsigned char { none, memory, redis };

inline constexpr std::size_t vix_status_count = 3;
inline constexpr std::size_t zone_count = 5;
inline constexpr std::size_t strategy_count = 4;

namespace detail {
// Enumerator names in enumerator order: the wire and label spellings.
inline constexpr std::string_view vix_status_names[] = {"normal", "warning", "panic"};
inline constexpr std::string_view zone_names[] = {"standard", "warmup", "prematch", "golden", "active"};
inline constexpr std::string_view strategy_names[] = {"bypass", "compute", "serve_stale", "serve_fresh"};
inline constexpr std::string_view lookup_names[] = {"none", "fresh", "stale", "too_stale", "miss"};
inline constexpr std::string_view tier_names[] = {"none", "memory", "redis"};

static_assert(sizeof(vix_status_names) / sizeof(vix_status_names[0]) == vix_status_count);
static_assert(sizeof(zone_names) / sizeof(zone_names[0]) == zone_count);
static_assert(sizeof(strategy_names) / sizeof(strategy_names[0]) == strategy_count);

template <std::size_t N, class E>
[[nodiscard]] constexpr std::string_view enum_name(const std::string_view (&names)[N], E e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : std::string_view("unknown");
}
}  // namespace detail

[[nodiscard]] constexpr std::string_view to_string(VixStatus s) noexcept {
  return detail::enum_name(detail::vix_status_names, s);
}
[[nodiscard]] constexpr std::string_view to_string(Zone z) noexcept {
  return detail::enum_name(detail::zone_names, z);
}
[[nodiscard]] constexpr std::string_view to_string(Strategy s) noexcept {
  return detail::enum_name(detail::strategy_names, s);
}
[[nodiscard]] constexpr std::string_view to_string(Lookup l) noexcept {
  return detail::enum_name(detail::lookup_names, l);
}

[[nodiscard]] constexpr std::string_view to_string(Tier t) noexcept {
  return detail::enum_name(detail::tier_names, t);
}

/// Parses "normal" / "warning" / "panic"; nullopt for anything else.
[[nodiscard]] constexpr std::optional<VixStatus> parse_vix_status(std::string_view s) noexcept {
  for (auto v : {VixStatus::normal, VixStatus::warning, VixStatus::panic})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

}  // namespace smartcache
