// smartcache - SmartCache<Store>: decides per request how to answer, and records why.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <smartcache/config.hpp>
#include <smartcache/request.hpp>
#include <smartcache/detail/core/cache_core.hpp>
#include <smartcache/detail/core/deadline.hpp>
#include <smartcache/detail/core/request_scope.hpp>
#include <smartcache/detail/core/thread_pool.hpp>
#include <smartcache/log.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/metrics/openmetrics.hpp>  // CacheMetrics::to_openmetrics() for every cache user
#include <smartcache/metrics/prometheus.hpp>   // CacheMetrics::to_prometheus() likewise
#include <smartcache/policy.hpp>
#include <smartcache/stores/store.hpp>
#include <smartcache/tags.hpp>
#include <smartcache/types.hpp>

namespace smartcache {

/// A cache in front of expensive computations that decides per request:
/// bypass on VIX panic, TTL by time-to-kickoff zone, serve fresh, serve stale
/// while one background refresh runs, or compute (one compute per key at a
/// time); plus tag-based invalidation driven by events. Every request is
/// recorded in `metrics()` with one lock acquisition, and recording never
/// fails a request; store failures are counted and answered by computing.
///
/// The class is thread-safe: every member may be called concurrently from any
/// number of threads; the Config clocks and executor are called concurrently
/// too and must allow it. Destroying the cache waits for refreshes running on
/// it; queued ones are discarded (built-in pool) or do nothing when they run
/// (host executor).
///
/// Example:
///   smartcache::CacheMetrics metrics;
///   smartcache::SmartCache<smartcache::MemoryStore<double>> cache({}, metrics);
///   auto r = cache.get_or_compute("odds:42:btts", [] { return price_btts(42); },
///                                 {{"match:42", "btts"}, kickoff, {}});
///   use(r.value);  // r.strategy: compute the first time, serve_fresh after
template <class Store>
class SmartCache {
 public:
  using store_type = Store;
  using value_type = typename Store::value_type;

  /// A cache over its own default-constructed Store.
  ///
  /// Example: `SmartCache<MemoryStore<std::string>> cache;  // global metrics, defaults`
  explicit SmartCache(Config cfg = {}, CacheMetrics& metrics = global_metrics())
      : SmartCache(std::make_shared<Store>(), std::move(cfg), metrics) {}

  /// A cache over a shared store: two caches (or a test) see the same entries.
  /// Throws std::invalid_argument when `store` is null.
  ///
  /// Example:
  ///   auto store = std::make_shared<MemoryStore<int>>(10'000);
  ///   SmartCache<MemoryStore<int>> cache(store, cfg, metrics);
  SmartCache(std::shared_ptr<Store> store, Config cfg = {}, CacheMetrics& metrics = global_metrics())
      : core_(make_core(std::move(store), std::move(cfg), metrics)) {
    if (!core_->cfg.latency_clock) (void)detail::CycleClock::instance();  // calibrate now, not in a request
    if (!core_->cfg.executor)
      pool_ = std::make_unique<detail::ThreadPool>(core_->cfg.refresh_threads, core_->cfg.refresh_queue);
    compute_pool_ = std::make_unique<detail::ComputePool>(core_->cfg.compute_threads, core_->cfg.compute_queue);
  }

  SmartCache(const SmartCache&) = delete;
  SmartCache& operator=(const SmartCache&) = delete;

  /// Waits for the refreshes running on this cache, discards the queued ones.
  /// Never waits for a compute that outran its deadline: it finishes on its
  /// own (keeping the cache's shared state alive) and stores nothing.
  ~SmartCache() {
    core_->gate.close();
    pool_.reset();
    compute_pool_.reset();
  }

  /// Answers `key`: from the store when fresh, stale (queuing one background
  /// refresh) when inside the stale window, otherwise by calling `compute()`
  /// (once per key at a time: concurrent callers share its value or exception)
  /// and storing the value with `ctx.tags`. See the README for the full flow.
  ///
  /// `compute` is called on this thread, and a copy of it runs the background
  /// refresh later, possibly on another thread: it must be copyable and what it
  /// captures must outlive the cache's refreshes (capture by value). With a
  /// compute deadline (Config::compute_soft_timeout, compute_hard_timeout, or
  /// the ctx overrides) a copy runs on the compute pool instead, and the
  /// caller stops waiting at its deadline (docs/deadlines.md).
  /// Exceptions of `compute` reach the caller unless a recent-enough stale
  /// entry exists (stale-if-error); past the hard timeout with no usable stale
  /// entry, ComputeTimeout is thrown; nothing else throws. `compute` must not
  /// ask this cache for the same key: it would wait for itself.
  /// Thread-safe; concurrent calls for one missing key share one compute.
  ///
  /// Example:
  ///   auto r = cache.get_or_compute("odds:42", [id = 42] { return price(id); },
  ///                                 {{"match:42", "match_result"}, kickoff, feeds});
  ///   if (r.strategy == smartcache::Strategy::serve_stale) { /* r.age old */ }
  template <class F>
  Result<value_type> get_or_compute(std::string_view key, F&& compute, const RequestContext& ctx = {}) {
    static_assert(std::is_invocable_r_v<value_type, F&>, "compute must be callable as value_type()");
    static_assert(std::is_copy_constructible_v<std::decay_t<F>>,
                  "compute must be copyable: a copy runs the background refresh");
    detail::RequestScope scope(core_->metrics, core_->cfg.latency_clock);
    RequestRecord& rec = scope.record;
    const std::optional<Evaluation> eval = evaluate(key, ctx, rec);
    if (!eval) return uncached(compute, rec);
    Found found = look_up(key, *eval, rec);
    if (found.entry) {
      switch (core_->classify(*found.entry, eval->policy, eval->now)) {
        case detail::Freshness::fresh:
          if (core_->cfg.eager_refresh_threshold > 0)
            core_->refresh_early(key, compute, ctx, eval->vix, eval->now, eval->policy, *found.entry, pool_.get());
          return serve(std::move(*found.entry), Lookup::fresh, Strategy::serve_fresh, *eval, rec);
        case detail::Freshness::stale:
          core_->schedule_refresh(key, compute, ctx, eval->vix, eval->now, *found.entry, pool_.get());
          return serve(std::move(*found.entry), Lookup::stale, Strategy::serve_stale, *eval, rec);
        case detail::Freshness::too_stale:
          rec.lookup = Lookup::too_stale;
          break;
      }
    }
    return compute_and_store(key, compute, ctx, *eval, found, rec);
  }

  /// The rules mapping event types to markets. Thread-safe (see TagManager).
  ///
  /// Example: `cache.tag_manager().add_rule("goal", {"btts", "correct_score"});`
  [[nodiscard]] TagManager& tag_manager() noexcept { return core_->tags; }

  /// Erases the entries tagged with `event.scope` (when non-empty) AND with any
  /// market the TagManager maps `event.type` to; an unknown type erases
  /// everything (with a warning). Computations of matching keys already in
  /// flight will not store their results. Records the tagmanager metrics.
  /// A store failure is logged and counted in `cache_errors`, never thrown.
  ///
  /// Example:
  ///   cache.tag_manager().add_rule("goal", {"btts", "correct_score"});
  ///   auto report = cache.invalidate_by_event({"goal", "match:42"});
  ///   // report.keys_deleted: entries of match 42 in btts or correct_score
  InvalidationReport invalidate_by_event(const Event& event) {
    auto& core = *core_;
    const InvalidationPlan plan = core.tags.plan(event);
    InvalidationReport report;
    report.markets_affected = plan.markets.size();
    if (plan.full) {
      detail::log(LogLevel::warning, "unknown event type; invalidating the whole cache",
                  {{"type", event.type}, {"scope", event.scope}});
      report.full = true;
      report.keys_deleted = clear_store();
      core.metrics.record_invalidation(
          {false, report.markets_affected, report.keys_deleted, 0, std::nullopt});
      return report;
    }
    if (!plan.erases_nothing()) {
      core.guard.poison_tagged(plan.scope, plan.markets);
      try {
        report.keys_deleted = core.store->erase_tagged(plan.scope, plan.markets);
      } catch (...) {
        store_failed_invalidating(event.type);
      }
    }
    report.markets_preserved = plan.markets_preserved;
    report.cpu_saved_pct = plan.cpu_saved_pct;
    core.metrics.record_invalidation({true, report.markets_affected, report.keys_deleted,
                                      report.markets_preserved, report.cpu_saved_pct});
    return report;
  }

  /// Erases every entry of the store and keeps computations in flight from
  /// storing; returns the keys deleted and counts a full invalidation.
  ///
  /// Example: `std::size_t n = cache.invalidate_all();`
  std::size_t invalidate_all() {
    const std::size_t keys = clear_store();
    core_->metrics.record_invalidation(
        {false, core_->tags.known_market_count(), keys, 0, std::nullopt});
    return keys;
  }

  /// The backing store (shared with whoever else holds it).
  ///
  /// Example: `std::size_t entries = cache.store().size();`
  [[nodiscard]] Store& store() noexcept { return *core_->store; }

  /// The metrics this cache records into.
  ///
  /// Example: `std::string body = cache.metrics().to_prometheus();`
  [[nodiscard]] CacheMetrics& metrics() noexcept { return core_->metrics; }

  /// The configuration in force (after clamping).
  ///
  /// Example: `auto backoff = cache.config().refresh_retry_backoff;`
  [[nodiscard]] const Config& config() const noexcept { return core_->cfg; }

  /// Background refreshes queued or running right now (one per key at most).
  ///
  /// Example: `if (cache.refreshes_pending() > 100) alert("refreshes lag");`
  [[nodiscard]] std::size_t refreshes_pending() const { return core_->refreshes.pending(); }

  /// Computes with a deadline queued or running on the compute pool right now,
  /// including those whose callers stopped waiting (a hung model shows here).
  ///
  /// Example: `if (cache.computes_pending() > 10) alert("model hangs");`
  [[nodiscard]] std::size_t computes_pending() const noexcept { return core_->bounded_computes.load(); }

 private:
  using Core = detail::CacheCore<Store>;

  static std::shared_ptr<Core> make_core(std::shared_ptr<Store> store, Config cfg, CacheMetrics& metrics) {
    if (!store) throw std::invalid_argument("SmartCache: null store");
    return std::make_shared<Core>(std::move(store), std::move(cfg), metrics);
  }

  // What a request that may use the cache was evaluated to.
  struct Evaluation {
    VixStatus vix;
    WallTime now;
    Zone zone;
    ZonePolicy policy;
  };

  // What the lookup found; store_ok is false when the store failed (then the
  // computed value is not stored either).
  struct Found {
    std::optional<StoredValue<value_type>> entry;  // value and horizons: no tags
    bool store_ok = true;
  };

  // Step 1: may this request use the cache? nullopt (with rec.strategy set)
  // when the cache is disabled, VIX panics (bypass) or the wall clock fails.
  std::optional<Evaluation> evaluate(std::string_view key, const RequestContext& ctx, RequestRecord& rec) {
    const auto& cfg = core_->cfg;
    rec.strategy = Strategy::compute;
    if (!cfg.enabled) return std::nullopt;
    const VixStatus vix = vix_status_summary(ctx.vix);
    rec.vix = vix;
    if (vix == VixStatus::panic) {
      rec.strategy = Strategy::bypass;
      return std::nullopt;
    }
    WallTime now;
    try {
      now = detail::read_clock(cfg.wall_clock);
    } catch (...) {
      detail::warn_throttled(detail::wall_clock_throttle(), "wall clock failed; request computed, not cached", key);
      return std::nullopt;
    }
    const Zone zone = cfg.zones.zone_for(ctx.kickoff, now);
    rec.zone = zone;
    return Evaluation{vix, now, zone, core_->policy_for(zone, vix)};
  }

  template <class F>
  static Result<value_type> uncached(F& compute, const RequestRecord& rec) {
    return Result<value_type>{compute(), rec.strategy, std::nullopt, rec.vix.value_or(VixStatus::normal), {}};
  }

  // Step 2: the store's entry. A failure is counted and reads as a miss; a
  // corrupt entry too, but the store works, so the computed value overwrites it.
  Found look_up(std::string_view key, const Evaluation& eval, RequestRecord& rec) {
    rec.lookup = Lookup::miss;
    try {
      return Found{core_->store->get(key, eval.now), true};  // built in place: the hit's hot path
    } catch (const CorruptEntryError&) {
      ++rec.store_errors;
      detail::warn_throttled(detail::store_error_throttle(), "corrupt entry in the store; recomputed", key);
      return Found{std::nullopt, true};
    } catch (...) {
      ++rec.store_errors;
      detail::warn_throttled(detail::store_error_throttle(), "store get failed; request computed", key);
      return Found{std::nullopt, false};
    }
  }

  // Step 3: answer from an entry.
  static Result<value_type> serve(StoredValue<value_type>&& e, Lookup lookup, Strategy s,
                                  const Evaluation& eval, RequestRecord& rec) {
    rec.lookup = lookup;
    rec.tier = e.tier;
    rec.strategy = s;
    const auto age = eval.now > e.stored_at
                         ? std::chrono::duration_cast<std::chrono::milliseconds>(eval.now - e.stored_at)
                         : std::chrono::milliseconds(0);
    return Result<value_type>{std::move(e.value), s, eval.zone, eval.vix, age};
  }

  // Step 4: compute once per key (concurrent callers share the flight) and
  // store under the invalidation guard; a compute that throws is answered by
  // the stale entry when stale-if-error allows it.
  template <class F>
  Result<value_type> compute_and_store(std::string_view key, F& compute, const RequestContext& ctx,
                                       const Evaluation& eval, Found& found, RequestRecord& rec) {
    auto& core = *core_;
    rec.strategy = Strategy::compute;
    try {
      if (core.deadlines || ctx.soft_timeout || ctx.hard_timeout)
        if (auto bounded = compute_bounded(key, compute, ctx, eval, found, rec)) return std::move(*bounded);
      auto outcome = core.flight.run(
          key,
          [&](detail::InvalidationGuard::Id op) -> value_type {
            detail::InvalidationGuard::Scope end{core.guard, op};
            if (auto again = stored_meanwhile(key, eval, found, rec)) return std::move(*again);
            value_type value = compute();
            if (found.store_ok) {
              const auto put = core.put_guarded(key, core.make_entry(value, eval.now, eval.policy, ctx.tags),
                                                eval.now, op);
              rec.evictions += put.evictions;
              rec.store_errors += put.store_errors;
            }
            return value;
          },
          core.joinable(), core.begin_guarded(ctx.tags));
      return Result<value_type>{std::move(outcome.value), Strategy::compute, eval.zone, eval.vix, {}};
    } catch (...) {
      if (!found.entry || !core.usable_on_error(*found.entry, eval.policy, eval.now)) throw;
      detail::warn_throttled(detail::refresh_error_throttle(), "compute failed; serving a stale entry", key);
      return serve(std::move(*found.entry), rec.lookup, Strategy::serve_stale, eval, rec);
    }
  }

  // Step 4 under deadlines (docs/deadlines.md): the flight's leader hands the
  // compute to the compute pool, and every caller waits for it until its own
  // deadline: the soft one when a usable stale entry exists (then served
  // stale), the hard one (then served stale, else ComputeTimeout). nullopt
  // when no deadline applies to this request (the compute runs here).
  template <class F>
  std::optional<Result<value_type>> compute_bounded(std::string_view key, F& compute, const RequestContext& ctx,
                                                    const Evaluation& eval, Found& found, RequestRecord& rec) {
    auto& core = *core_;
    const detail::Deadlines d = detail::deadlines_for(core.cfg, ctx);
    const bool stale_ok = found.entry && core.usable_on_error(*found.entry, eval.policy, eval.now);
    const std::chrono::milliseconds soft = stale_ok ? d.soft : std::chrono::milliseconds(0);
    if (soft.count() == 0 && d.hard.count() == 0) return std::nullopt;
    const bool hard_first = d.hard.count() > 0 && (soft.count() == 0 || d.hard <= soft);
    const auto deadline = std::chrono::steady_clock::now() + (hard_first ? d.hard : soft);
    const auto ticket = core.flight.enter(key, core.joinable(), core.begin_guarded(ctx.tags));
    std::optional<value_type> value;
    if (ticket.leader) {
      try {
        value = stored_meanwhile(key, eval, found, rec);
      } catch (...) {
        core.guard.end(ticket.call->label);
        core.flight.settle(key, ticket.call, std::nullopt, std::current_exception());
        throw;
      }
      if (value) {
        core.guard.end(ticket.call->label);
        core.flight.settle(key, ticket.call, value, nullptr);
      } else {  // queued; a full pool throws ComputeTimeout (then served stale when usable)
        detail::start_bounded(core_, *compute_pool_, key, compute, ticket,
                              {eval.now, eval.policy, ctx.tags, found.store_ok}, d.hard);
      }
    }
    if (!value) value = core.flight.wait_until(*ticket.call, deadline);
    if (value) return Result<value_type>{std::move(*value), Strategy::compute, eval.zone, eval.vix, {}};
    core.metrics.increment(hard_first ? Counter::compute_hard_timeouts : Counter::compute_soft_timeouts);
    if (!stale_ok) throw ComputeTimeout(key, d.hard);
    return serve(std::move(*found.entry), rec.lookup, Strategy::serve_stale, eval, rec);
  }

  // A request that missed just before another's compute stored its value may
  // reach the flight only after it ended: it uses that value too.
  std::optional<value_type> stored_meanwhile(std::string_view key, const Evaluation& eval, Found& found,
                                             RequestRecord& rec) {
    if (!found.store_ok) return std::nullopt;
    try {
      auto again = core_->store->get(key, eval.now);
      if (again && core_->classify(*again, eval.policy, eval.now) == detail::Freshness::fresh)
        return std::move(again->value);
    } catch (const CorruptEntryError&) {
      // Counted by the lookup when it met it; this compute overwrites it.
    } catch (...) {
      ++rec.store_errors;
      found.store_ok = false;
      detail::warn_throttled(detail::store_error_throttle(), "store get failed; request computed", key);
    }
    return std::nullopt;
  }

  std::size_t clear_store() {
    core_->guard.poison_all();
    try {
      return core_->store->clear();
    } catch (...) {
      store_failed_invalidating("*");
      return 0;
    }
  }

  void store_failed_invalidating(std::string_view what) noexcept {
    core_->metrics.increment(Counter::cache_errors);
    detail::warn_throttled(detail::store_error_throttle(), "store failed to invalidate; stale data may remain",
                           what);
  }

  std::shared_ptr<Core> core_;
  std::unique_ptr<detail::ThreadPool> pool_;
  std::unique_ptr<detail::ComputePool> compute_pool_;
};

}  // namespace smartcache
