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

inline constexpr std::size_t vix_status_count = 3;
inline constexpr std::size_t zone_count = 5;
inline constexpr std::size_t strategy_count = 4;

[[nodiscard]] constexpr std::string_view to_string(VixStatus s) noexcept {
  switch (s) {
    case VixStatus::normal: return "normal";
    case VixStatus::warning: return "warning";
    case VixStatus::panic: return "panic";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view to_string(Zone z) noexcept {
  switch (z) {
    case Zone::standard: return "standard";
    case Zone::warmup: return "warmup";
    case Zone::prematch: return "prematch";
    case Zone::golden: return "golden";
    case Zone::active: return "active";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view to_string(Strategy s) noexcept {
  switch (s) {
    case Strategy::bypass: return "bypass";
    case Strategy::compute: return "compute";
    case Strategy::serve_stale: return "serve_stale";
    case Strategy::serve_fresh: return "serve_fresh";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view to_string(Lookup l) noexcept {
  switch (l) {
    case Lookup::none: return "none";
    case Lookup::fresh: return "fresh";
    case Lookup::stale: return "stale";
    case Lookup::too_stale: return "too_stale";
    case Lookup::miss: return "miss";
  }
  return "unknown";
}

/// Parses "normal" / "warning" / "panic"; nullopt for anything else.
[[nodiscard]] constexpr std::optional<VixStatus> parse_vix_status(std::string_view s) noexcept {
  for (auto v : {VixStatus::normal, VixStatus::warning, VixStatus::panic})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

}  // namespace smartcache
