// smartcache - Config: the tunables a SmartCache is built with, and their clamping.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <utility>

#include <smartcache/policy.hpp>
#include <smartcache/types.hpp>

namespace smartcache {

/// The tunables of a SmartCache, fixed at construction.
///
/// Example:
///   smartcache::Config cfg;
///   cfg.zones.set_policy(smartcache::Zone::golden, {std::chrono::seconds(30), std::chrono::seconds(30)});
///   cfg.ttl_jitter = 0.1;                                  // spread expiries by +-10 %
///   cfg.executor = [&pool](std::function<void()> task) { pool.post(std::move(task)); };
///   smartcache::SmartCache<smartcache::MemoryStore<Odds>> cache(cfg);
struct Config {
  /// false: every request computes (strategy compute) and nothing is looked
  /// up, stored, or evaluated (no VIX status, no zone).
  bool enabled = true;

  /// Zone boundaries and each zone's fresh TTL and stale window.
  ZoneTable zones = ZoneTable::defaults();

  /// Under a VIX warning the fresh TTL and stale window are multiplied by this
  /// factor (clamped to (0, 1], see `clamped` and `scaled`).
  double vix_warning_factor = 0.5;

  /// Fraction (clamped to [0, 0.5], see `clamped`) by which each stored entry's fresh TTL is
  /// moved at random, so that entries stored together do not expire together.
  double ttl_jitter = 0;

  /// How long past the end of its stale window an entry may still answer a
  /// request whose compute threw (stale-if-error, strategy serve_stale); the
  /// store keeps every entry that much longer. Zero disables it (an entry
  /// inside its stale window is served stale without a foreground compute).
  std::chrono::milliseconds stale_if_error = std::chrono::minutes(5);

  /// After a background refresh of a key fails, no new refresh of that key is
  /// scheduled before this much (wall) time has passed; stale serving goes on.
  std::chrono::milliseconds refresh_retry_backoff = std::chrono::seconds(10);

  /// Lifetime of the distributed refresh lock, for stores that offer one
  /// (`try_lock_refresh`): a crashed holder blocks refreshes at most this long.
  std::chrono::milliseconds refresh_lock_ttl = std::chrono::seconds(30);

  /// Built-in refresh pool (used when `executor` is empty): worker threads
  /// (started on the first refresh) and queue bound; a full queue drops the
  /// refresh and counts `swr_background_dropped`.
  std::size_t refresh_threads = 2;
  std::size_t refresh_queue = 1024;

  /// Monotonic clock of latency measurement; empty = the calibrated cycle
  /// counter where the CPU has an invariant TSC (steady_clock time at a third
  /// of its cost), else steady_clock::now. Read at most twice per sampled
  /// request and never for the others.
  std::function<std::chrono::steady_clock::time_point()> latency_clock;

  /// Wall clock of zones and entry ages; empty = the system wall clock (on
  /// Linux its coarse variant: 1-4 ms resolution, 5x cheaper to read). Read
  /// once per request and once per background refresh.
  std::function<std::chrono::system_clock::time_point()> wall_clock;

  /// Runs background refreshes; empty = the built-in pool. It may run the
  /// task inline, later, on any thread, or never (a task destroyed unrun counts
  /// as dropped); throwing means refused (dropped). Tasks that run after the
  /// cache is destroyed do nothing.
  std::function<void(std::function<void()>)> executor;

  /// Deadlines of a foreground compute (see docs/deadlines.md); 0 = off, the
  /// default. Soft: once it has passed and a usable stale entry exists (stale
  /// window or stale-if-error grace), the caller is served that entry
  /// (serve_stale) while the compute goes on and stores its result. Hard: no
  /// caller waits longer; it gets the usable stale entry, else ComputeTimeout.
  /// With either set, a compute runs on the built-in compute pool. A request
  /// may override both (RequestContext::soft_timeout, hard_timeout).
  std::chrono::milliseconds compute_soft_timeout{0};
  std::chrono::milliseconds compute_hard_timeout{0};

  /// Built-in compute pool of the deadlines: worker threads (started on the
  /// first compute with a deadline, detached: a hung compute never blocks the
  /// cache's destruction) and queue bound. A compute that does not fit counts
  /// `compute_pool_rejections` and is answered stale, else ComputeTimeout
  /// under a hard timeout, else computed on the caller's thread.
  std::size_t compute_threads = 4;
  std::size_t compute_queue = 256;

  /// Eager refresh, in (0, 1); 0 = off, the default. A fresh hit on an entry
  /// older than this fraction of its fresh TTL schedules the key's one
  /// background refresh, so hot keys are refreshed before they go stale.
  double eager_refresh_threshold = 0;

  /// A background refresh scheduled longer ago than this gives up its key's
  /// refresh slot when the next stale (or eager) hit comes, so a new refresh
  /// can start (counted in `refreshes_abandoned`); its late result is stored
  /// only if nothing newer landed and no invalidation overtook it.
  /// 0 = automatic: twice the shortest non-zero (fresh TTL + stale window) of
  /// the zone table (60 s with the default zones), see `clamped`.
  std::chrono::milliseconds refresh_timeout{0};
};

/// `cfg` with every field brought into its allowed range; SmartCache keeps
/// (and `config()` shows) this result. Rules: `vix_warning_factor` in (0, 1]
/// (NaN or above 1 -> 1, zero or below -> the smallest positive double);
/// `ttl_jitter` in [0, 0.5] (NaN -> 0); `stale_if_error` and
/// `refresh_retry_backoff` at least 0; `refresh_lock_ttl` at least 1 ms;
/// `refresh_threads`, `refresh_queue`, `compute_threads` and `compute_queue` at
/// least 1; `compute_soft_timeout` and `compute_hard_timeout` at least 0 (off);
/// `eager_refresh_threshold` in (0, 1), anything else (NaN included) -> 0
/// (off); `refresh_timeout` zero or below -> twice the shortest non-zero
/// (fresh TTL + stale window) of the zones (60 s if every zone is zero), then
/// at least 1 ms. Zone policies are clamped by `ZoneTable::set_policy`
/// already (never negative).
///
/// Example: `assert(smartcache::clamped(cfg).ttl_jitter <= 0.5);`
[[nodiscard]] inline Config clamped(Config cfg) {
  using std::chrono::milliseconds;
  if (std::isnan(cfg.vix_warning_factor) || cfg.vix_warning_factor > 1.0) cfg.vix_warning_factor = 1.0;
  if (cfg.vix_warning_factor <= 0.0) cfg.vix_warning_factor = std::numeric_limits<double>::min();
  cfg.ttl_jitter = std::isnan(cfg.ttl_jitter) ? 0.0 : std::clamp(cfg.ttl_jitter, 0.0, 0.5);
  cfg.stale_if_error = std::max(cfg.stale_if_error, milliseconds(0));
  cfg.refresh_retry_backoff = std::max(cfg.refresh_retry_backoff, milliseconds(0));
  cfg.refresh_lock_ttl = std::max(cfg.refresh_lock_ttl, milliseconds(1));
  cfg.refresh_threads = std::max<std::size_t>(cfg.refresh_threads, 1);
  cfg.refresh_queue = std::max<std::size_t>(cfg.refresh_queue, 1);
  cfg.compute_threads = std::max<std::size_t>(cfg.compute_threads, 1);
  cfg.compute_queue = std::max<std::size_t>(cfg.compute_queue, 1);
  cfg.compute_soft_timeout = std::max(cfg.compute_soft_timeout, milliseconds(0));
  cfg.compute_hard_timeout = std::max(cfg.compute_hard_timeout, milliseconds(0));
  const double eager = cfg.eager_refresh_threshold;
  if (!(eager > 0.0 && eager < 1.0)) cfg.eager_refresh_threshold = 0.0;
  if (cfg.refresh_timeout <= milliseconds(0)) {
    constexpr milliseconds top = milliseconds::max() / 4;  // no overflow below
    milliseconds shortest = top;
    for (Zone z : {Zone::standard, Zone::warmup, Zone::prematch, Zone::golden, Zone::active}) {
      const ZonePolicy p = cfg.zones.policy(z);
      const milliseconds life = std::min(p.fresh_ttl, top) + std::min(p.stale_window, top);
      if (life > milliseconds(0)) shortest = std::min(shortest, life);
    }
    cfg.refresh_timeout = shortest == top ? milliseconds(60'000) : 2 * shortest;
  }
  return cfg;
}

}  // namespace smartcache
