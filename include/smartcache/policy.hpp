// smartcache - request policy: VIX summary, time-to-kickoff zones, TTL scaling and jitter.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include <smartcache/types.hpp>

namespace smartcache {

/// Summarises the VIX status of every feed a request depends on into one
/// status: panic beats warning beats normal; no feed at all is normal.
///
/// Example:
///   vix_status_summary({{"epl", VixStatus::normal}, {"ucl", VixStatus::warning}})
///       == VixStatus::warning
[[nodiscard]] inline VixStatus vix_status_summary(
    const std::map<std::string, VixStatus>& feeds) noexcept {
  VixStatus worst = VixStatus::normal;
  for (const auto& feed : feeds) {
    if (feed.second == VixStatus::panic) return VixStatus::panic;
    if (feed.second == VixStatus::warning) worst = VixStatus::warning;
  }
  return worst;
}

/// How long an entry stored in a zone is served fresh, and for how long after
/// that it may still be served stale while a background refresh runs.
struct ZonePolicy {
  std::chrono::milliseconds fresh_ttl{0};
  std::chrono::milliseconds stale_window{0};

  friend bool operator==(const ZonePolicy& a, const ZonePolicy& b) noexcept {
    return a.fresh_ttl == b.fresh_ttl && a.stale_window == b.stale_window;
  }
  friend bool operator!=(const ZonePolicy& a, const ZonePolicy& b) noexcept { return !(a == b); }
};

/// Where the zones start and end, measured from kickoff. A zone is the
/// half-open interval of wall time [start, end): it begins AT its boundary.
///
///   standard  ... kickoff - warmup_before            (and when there is no kickoff)
///   warmup    [kickoff - warmup_before,   kickoff - prematch_before)
///   prematch  [kickoff - prematch_before, kickoff - golden_before)
///   golden    [kickoff - golden_before,   kickoff)
///   active    [kickoff,                   kickoff + active_after)
///   standard  [kickoff + active_after, ...
///
/// So exactly 1 h before kickoff is golden, exactly at kickoff is active and
/// exactly 2 h after it is standard again (with the defaults).
struct ZoneBoundaries {
  std::chrono::milliseconds warmup_before = std::chrono::hours(24);
  std::chrono::milliseconds prematch_before = std::chrono::hours(6);
  std::chrono::milliseconds golden_before = std::chrono::hours(1);
  std::chrono::milliseconds active_after = std::chrono::hours(2);

  /// True when warmup_before >= prematch_before >= golden_before >= 0,
  /// active_after >= 0, and every value is at most `max_boundary`.
  [[nodiscard]] bool valid() const noexcept;

  /// Upper limit of any boundary (100 years): keeps all time arithmetic
  /// inside the range of system_clock.
  static constexpr std::chrono::milliseconds max_boundary =
      std::chrono::hours(24) * 365 * 100;

  friend bool operator==(const ZoneBoundaries& a, const ZoneBoundaries& b) noexcept {
    return a.warmup_before == b.warmup_before && a.prematch_before == b.prematch_before &&
           a.golden_before == b.golden_before && a.active_after == b.active_after;
  }
  friend bool operator!=(const ZoneBoundaries& a, const ZoneBoundaries& b) noexcept {
    return !(a == b);
  }
};

inline bool ZoneBoundaries::valid() const noexcept {
  const auto zero = std::chrono::milliseconds(0);
  return golden_before >= zero && prematch_before >= golden_before &&
         warmup_before >= prematch_before && warmup_before <= max_boundary &&
         active_after >= zero && active_after <= max_boundary;
}

/// The zone boundaries and the policy (fresh TTL, stale window) of each zone.
///
/// A ZoneTable is a value: reading it from several threads is safe, changing
/// it while another thread reads it is not (SmartCache copies it at construction).
///
/// Example:
///   auto zones = smartcache::ZoneTable::defaults();
///   zones.set_policy(Zone::golden, {std::chrono::seconds(30), std::chrono::seconds(30)});
///   Zone z = zones.zone_for(kickoff, std::chrono::system_clock::now());
///   ZonePolicy p = zones.policy(z);
class ZoneTable {
 public:
  /// All zones with a zero policy and the default boundaries; prefer defaults().
  ZoneTable() = default;

  /// The documented defaults: standard 1 h, warmup 15 min, prematch 5 min,
  /// golden 60 s, active 15 s; each stale window equal to its fresh TTL;
  /// boundaries 24 h / 6 h / 1 h before kickoff and 2 h after it.
  ///
  /// Example: `ZoneTable::defaults().policy(Zone::golden).fresh_ttl == 60s`
  [[nodiscard]] static ZoneTable defaults() noexcept {
    using namespace std::chrono;
    ZoneTable t;
    t.set_policy(Zone::standard, {hours(1), hours(1)});
    t.set_policy(Zone::warmup, {minutes(15), minutes(15)});
    t.set_policy(Zone::prematch, {minutes(5), minutes(5)});
    t.set_policy(Zone::golden, {seconds(60), seconds(60)});
    t.set_policy(Zone::active, {seconds(15), seconds(15)});
    return t;
  }

  /// The zone of a request at wall time `now` for an event starting at
  /// `kickoff`; standard when there is no kickoff. See ZoneBoundaries for the
  /// exact (half-open) intervals.
  ///
  /// Example: `zones.zone_for(now + 30min, now) == Zone::golden`
  [[nodiscard]] Zone zone_for(std::optional<WallTime> kickoff, WallTime now) const noexcept {
    if (!kickoff) return Zone::standard;
    // Time to kickoff, saturated so that extreme time points cannot overflow.
    const auto to_kickoff = saturating_sub(*kickoff, now);
    if (to_kickoff <= WallTime::duration::zero()) {
      // Kickoff reached: active while less than active_after has elapsed.
      return -to_kickoff < as_wall(bounds_.active_after) ? Zone::active : Zone::standard;
    }
    if (to_kickoff <= as_wall(bounds_.golden_before)) return Zone::golden;
    if (to_kickoff <= as_wall(bounds_.prematch_before)) return Zone::prematch;
    if (to_kickoff <= as_wall(bounds_.warmup_before)) return Zone::warmup;
    return Zone::standard;
  }

  /// The fresh TTL and stale window of a zone.
  [[nodiscard]] ZonePolicy policy(Zone z) const noexcept { return policies_[index(z)]; }

  /// Replaces a zone's policy. Negative durations are stored as zero (a zero
  /// fresh TTL means entries of that zone are never served fresh).
  void set_policy(Zone z, ZonePolicy p) noexcept {
    const auto zero = std::chrono::milliseconds(0);
    if (p.fresh_ttl < zero) p.fresh_ttl = zero;
    if (p.stale_window < zero) p.stale_window = zero;
    policies_[index(z)] = p;
  }

  /// The current boundaries.
  [[nodiscard]] const ZoneBoundaries& boundaries() const noexcept { return bounds_; }

  /// Replaces the boundaries when `b.valid()`; returns false and keeps the
  /// current ones otherwise. Equal neighbouring boundaries make a zone empty.
  ///
  /// Example:
  ///   ZoneBoundaries b;                       // the defaults
  ///   b.golden_before = std::chrono::minutes(30);
  ///   bool ok = zones.set_boundaries(b);      // true
  bool set_boundaries(const ZoneBoundaries& b) noexcept {
    if (!b.valid()) return false;
    bounds_ = b;
    return true;
  }

 private:
  static constexpr std::size_t index(Zone z) noexcept { return static_cast<std::size_t>(z); }

  static WallTime::duration as_wall(std::chrono::milliseconds d) noexcept {
    return std::chrono::duration_cast<WallTime::duration>(d);
  }

  static WallTime::duration saturating_sub(WallTime a, WallTime b) noexcept {
    using rep = WallTime::rep;
    const rep x = a.time_since_epoch().count();
    const rep y = b.time_since_epoch().count();
    if (y < 0 && x > std::numeric_limits<rep>::max() + y)
      return WallTime::duration(std::numeric_limits<rep>::max());
    if (y > 0 && x < std::numeric_limits<rep>::min() + y)
      return WallTime::duration(std::numeric_limits<rep>::min() + 1);
    return WallTime::duration(x - y);
  }

  std::array<ZonePolicy, zone_count> policies_{};
  ZoneBoundaries bounds_{};
};

/// Scales a policy for a VIX warning: both durations multiplied by `factor`.
/// The factor is clamped to (0, 1]: NaN and anything above 1 mean 1 (no
/// change); zero or below means the smallest positive factor. A positive
/// duration never scales below 1 ms, so an entry stored under a warning still
/// lives briefly; zero stays zero.
///
/// Example: `scaled({60s, 60s}, 0.5) == ZonePolicy{30s, 30s}`
[[nodiscard]] inline ZonePolicy scaled(ZonePolicy p, double factor) noexcept {
  if (std::isnan(factor) || factor >= 1.0) return p;
  if (factor <= 0.0) factor = std::numeric_limits<double>::min();
  const auto scale = [factor](std::chrono::milliseconds d) noexcept {
    if (d <= std::chrono::milliseconds(0)) return d;
    const double ms = std::floor(static_cast<double>(d.count()) * factor);
    const auto r = static_cast<std::chrono::milliseconds::rep>(ms);
    return std::chrono::milliseconds(r < 1 ? 1 : r);
  };
  return {scale(p.fresh_ttl), scale(p.stale_window)};
}

/// Spreads expiries: returns `ttl` moved by up to ±`fraction` of itself,
/// chosen deterministically from `random_bits` (the same bits give the same
/// result; uniformly spread bits give a uniform spread). The fraction is
/// clamped to [0, 0.5] (NaN = 0), so the result stays within
/// [ttl * (1 - fraction), ttl * (1 + fraction)] and is never negative.
/// A ttl of zero or below is returned unchanged.
///
/// Example:
///   std::mt19937_64 rng(seed);
///   auto ttl = apply_jitter(std::chrono::seconds(60), 0.1, rng());  // 54 s .. 66 s
[[nodiscard]] inline std::chrono::milliseconds apply_jitter(std::chrono::milliseconds ttl,
                                                             double fraction,
                                                             std::uint64_t random_bits) noexcept {
  if (ttl <= std::chrono::milliseconds(0)) return ttl;
  if (!(fraction > 0.0)) return ttl;  // also catches NaN
  if (fraction > 0.5) fraction = 0.5;
  // 53 random bits -> u in [0, 1) -> offset in [-1, 1).
  const double u = static_cast<double>(random_bits >> 11) * 0x1.0p-53;
  const double offset = (2.0 * u - 1.0) * fraction;
  const double base = static_cast<double>(ttl.count());
  const double result = std::round(base + base * offset);
  // Upper bound: ttl * 1.5 may exceed the range of rep for absurd TTLs.
  constexpr auto max_rep = std::numeric_limits<std::chrono::milliseconds::rep>::max();
  if (result >= static_cast<double>(max_rep)) return std::chrono::milliseconds(max_rep);
  if (result < 0.0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(result));
}

}  // namespace smartcache
