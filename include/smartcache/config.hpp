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
};

/// `cfg` with every field brought into its allowed range; SmartCache keeps
/// (and `config()` shows) this result. Rules: `vix_warning_factor` in (0, 1]
/// (NaN or above 1 -> 1, zero or below -> the smallest positive double);
/// `ttl_jitter` in [0, 0.5] (NaN -> 0); `stale_if_error` and
/// `refresh_retry_backoff` at least 0; `refresh_lock_ttl` at least 1 ms;
/// `refresh_threads` and `refresh_queue` at least 1. Zone policies are
/// clamped by `ZoneTable::set_policy` already (never negative).
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
  return cfg;
}

}  // namespace smartcache
