// smartcache - the state a SmartCache shares with its background refreshes.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smartcache/config.hpp>
#include <smartcache/request.hpp>
#include <smartcache/log.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/policy.hpp>
#include <smartcache/stores/store.hpp>
#include <smartcache/tags.hpp>
#include <smartcache/detail/core/clock.hpp>
#include <smartcache/detail/core/invalidation_guard.hpp>
#include <smartcache/detail/core/lifetime_gate.hpp>
#include <smartcache/detail/core/refresh_tracker.hpp>
#include <smartcache/detail/core/single_flight.hpp>
#include <smartcache/detail/core/store_traits.hpp>
#include <smartcache/detail/core/thread_pool.hpp>

namespace smartcache::detail {

inline std::string current_exception_message() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    try {
      return e.what();
    } catch (...) {
    }
  } catch (...) {
  }
  return "unknown exception";
}

// A throttled warning about `key`, with the current exception's text.
inline void warn_throttled(LogThrottle& throttle, std::string_view message, std::string_view key) noexcept {
  warn_throttled_with(throttle, message, [&] {
    return LogFields{{"key", std::string(key)}, {"error", current_exception_message()}};
  });
}

inline LogThrottle& store_error_throttle() noexcept {
  static LogThrottle t(std::chrono::seconds(10));
  return t;
}
inline LogThrottle& refresh_error_throttle() noexcept {
  static LogThrottle t(std::chrono::seconds(10));
  return t;
}
inline LogThrottle& refresh_watchdog_throttle() noexcept {
  static LogThrottle t(std::chrono::seconds(10));
  return t;
}
inline LogThrottle& wall_clock_throttle() noexcept {
  static LogThrottle t(std::chrono::seconds(10));
  return t;
}

enum class Freshness { fresh, stale, too_stale };

// Everything a SmartCache shares with the refresh tasks it queued. Tasks hold
// it through a weak_ptr and enter `gate` before touching it, so a task that
// outlives the cache does nothing.
// Thread-safe: every member may be used concurrently.
template <class Store>
class CacheCore : public std::enable_shared_from_this<CacheCore<Store>> {
 public:
  using value_type = typename Store::value_type;
  using V = value_type;

  CacheCore(std::shared_ptr<Store> s, Config c, CacheMetrics& m)
      : store(std::move(s)),
        cfg(clamped(std::move(c))),
        metrics(m),
        jitter(cfg.ttl_jitter),
        deadlines(cfg.compute_soft_timeout.count() > 0 || cfg.compute_hard_timeout.count() > 0) {}

  // The zone's policy, shortened under a VIX warning.
  [[nodiscard]] ZonePolicy policy_for(Zone zone, VixStatus vix) const noexcept {
    const ZonePolicy p = cfg.zones.policy(zone);
    return vix == VixStatus::warning ? scaled(p, cfg.vix_warning_factor) : p;
  }

  // A new entry stored at `now`: fresh for the (jittered) TTL, then stale for
  // the window, then kept for the stale-if-error grace before the store drops it.
  [[nodiscard]] Entry<V> make_entry(V value, WallTime now, ZonePolicy p,
                                    std::vector<std::string> entry_tags) const {
    const auto ttl = jitter > 0 ? apply_jitter(p.fresh_ttl, jitter, jitter_bits()) : p.fresh_ttl;
    const WallTime fresh_until = now + ttl;
    return Entry<V>{std::move(value), now, fresh_until, fresh_until + p.stale_window + cfg.stale_if_error,
                    std::move(entry_tags)};
  }

  // An entry is fresh until its own fresh horizon, but never longer than the
  // request's TTL (plus the jitter allowance) after it was stored: entering a
  // shorter zone or a VIX warning shortens the life of entries stored before.
  // The stale window (the request's) follows the end of freshness.
  [[nodiscard]] WallTime fresh_end(const StoredValue<V>& e, ZonePolicy p) const noexcept {
    auto limit = p.fresh_ttl;
    if (jitter > 0)
      limit += std::chrono::milliseconds(
          static_cast<std::chrono::milliseconds::rep>(static_cast<double>(limit.count()) * jitter));
    return std::min(e.fresh_until, e.stored_at + limit);
  }

  [[nodiscard]] Freshness classify(const StoredValue<V>& e, ZonePolicy p, WallTime now) const noexcept {
    const WallTime end = fresh_end(e, p);
    if (now < end) return Freshness::fresh;
    if (now < end + p.stale_window) return Freshness::stale;
    return Freshness::too_stale;
  }

  // Eager refresh: is a fresh entry older than the threshold share of its fresh life?
  [[nodiscard]] bool eager_due(const StoredValue<V>& e, ZonePolicy p, WallTime now) const noexcept {
    const WallTime end = fresh_end(e, p);
    if (end <= e.stored_at || now <= e.stored_at) return false;
    using Ms = std::chrono::duration<double, std::milli>;
    return Ms(now - e.stored_at).count() > Ms(end - e.stored_at).count() * cfg.eager_refresh_threshold;
  }

  // Stale-if-error: may a too-stale entry answer a request whose compute threw?
  [[nodiscard]] bool usable_on_error(const StoredValue<V>& e, ZonePolicy p, WallTime now) const noexcept {
    return now < fresh_end(e, p) + p.stale_window + cfg.stale_if_error;
  }

  struct PutOutcome {
    std::uint32_t evictions = 0;
    std::uint32_t store_errors = 0;
    bool stored = false;  // put succeeded and no invalidation overtook it
  };

  // Stores `entry` unless the computation `op` was overtaken by an invalidation
  // (InvalidationGuard's protocol: check, put, re-check and undo).
  PutOutcome put_guarded(std::string_view key, Entry<V>&& entry, WallTime now,
                         InvalidationGuard::Id op) noexcept {
    PutOutcome out;
    try {
      if (guard.poisoned(op)) return out;
      out.evictions = static_cast<std::uint32_t>(std::min<std::size_t>(
          store->put(key, std::move(entry), now), UINT32_MAX));
      out.stored = true;
    } catch (...) {
      ++out.store_errors;
      warn_throttled(store_error_throttle(), "store put failed; value served but not cached", key);
      return out;
    }
    try {
      if (guard.poisoned(op)) {
        out.stored = false;
        store->erase(key);
      }
    } catch (...) {
      ++out.store_errors;
      warn_throttled(store_error_throttle(), "store erase failed undoing an invalidated put", key);
    }
    return out;
  }

  // One queued background refresh. Whoever claims it first (the task that runs
  // it, or the scheduler when the executor refuses it) settles it; a ticket
  // destroyed unclaimed (an executor dropped the task) counts as dropped.
  struct RefreshTicket {
    std::weak_ptr<CacheCore> core;
    std::string key;
    InvalidationGuard::Id op = 0;
    WallTime scheduled_at{};
    WallTime seen_stored_at{};       // stored_at of the entry whose hit scheduled it
    std::uint64_t generation = 0;    // its refresh slot (RefreshTracker)
    std::function<V()> compute;
    std::vector<std::string> tags;
    std::optional<WallTime> kickoff;
    VixStatus vix = VixStatus::normal;
    std::atomic<bool> claimed{false};

    [[nodiscard]] bool claim() noexcept { return !claimed.exchange(true); }

    RefreshTicket() = default;
    RefreshTicket(const RefreshTicket&) = delete;
    RefreshTicket& operator=(const RefreshTicket&) = delete;
    ~RefreshTicket() {
      if (claimed.load()) return;
      if (auto c = core.lock()) c->drop_refresh(*this);
    }
  };

  // Queues at most one refresh per key (none during a failure backoff) on the
  // host's executor, else on `pool`; a refused refresh is counted, never felt
  // by the request. The task runs run_refresh; a ticket nobody ran settles
  // itself as dropped. A pending refresh older than cfg.refresh_timeout is
  // abandoned (counted, logged) so that this one can start. `seen` is the
  // entry the request hit. True when a refresh was handed to the executor.
  template <class F>
  bool schedule_refresh(std::string_view key, F& compute, const RequestContext& ctx, VixStatus vix,
                        WallTime now, const StoredValue<V>& seen, ThreadPool* pool) noexcept {
    auto& core = *this;
    std::shared_ptr<RefreshTicket> ticket;
    RefreshTracker::Admission admission;
    try {
      admission = core.refreshes.begin(key, now, cfg.refresh_timeout);
    } catch (...) {
      return false;  // allocation failure: skip this refresh, a later request retries
    }
    if (!admission) return false;
    if (admission.abandoned) abandoned_refresh(key);
    try {
      ticket = std::make_shared<RefreshTicket>();
      ticket->key = std::string(key);
      ticket->scheduled_at = now;
      ticket->seen_stored_at = seen.stored_at;
      ticket->generation = admission.generation;
      ticket->compute = compute;
      ticket->tags = ctx.tags;
      ticket->kickoff = ctx.kickoff;
      ticket->vix = vix;
      ticket->op = core.guard.begin(ctx.tags);
      ticket->core = this->weak_from_this();  // from here on, an unclaimed ticket settles itself
    } catch (...) {
      if (ticket) ticket->claimed = true;
      if (ticket && ticket->op != 0) core.guard.end(ticket->op);
      core.refreshes.finish(key, false, now, core.cfg.refresh_retry_backoff, admission.generation);
      core.metrics.increment(Counter::swr_background_dropped);
      return false;
    }
    bool queued = false;
    try {
      std::function<void()> task = [ticket]() noexcept {
        auto c = ticket->core.lock();
        if (!c) return;
        LifetimeGate::Pass pass(c->gate);
        if (!pass || !ticket->claim()) return;
        c->run_refresh(*ticket);
      };
      if (core.cfg.executor) {
        core.cfg.executor(std::move(task));
        queued = true;
      } else {
        queued = pool != nullptr && pool->try_submit(std::move(task));
      }
    } catch (...) {
      warn_throttled(refresh_error_throttle(), "executor refused a refresh", key);
    }
    if (!queued && ticket->claim()) core.drop_refresh(*ticket);
    return queued;
  }

  // Eager refresh: a fresh `entry` past the threshold share of its fresh life
  // schedules the key's refresh (counted when one is queued).
  template <class F>
  void refresh_early(std::string_view key, F& compute, const RequestContext& ctx, VixStatus vix, WallTime now,
                     ZonePolicy p, const StoredValue<V>& entry, ThreadPool* pool) noexcept {
    if (eager_due(entry, p, now) && schedule_refresh(key, compute, ctx, vix, now, entry, pool))
      metrics.increment(Counter::eager_refreshes);
  }

  // Nobody joins a compute that an invalidation overtook: its value predates
  // the invalidation, and a request that started after it would get it.
  [[nodiscard]] auto joinable() const noexcept {
    return [this](std::uint64_t op) { return op == 0 || !guard.poisoned(op); };
  }

  // The label of a new flight: a guard op begun as the flight is created,
  // before its leader re-reads the store or computes, so that an
  // invalidation at any point of either makes the flight unjoinable.
  [[nodiscard]] auto begin_guarded(const std::vector<std::string>& entry_tags) {
    return [this, &entry_tags] { return guard.begin(entry_tags); };
  }

  // The watchdog gave a stuck refresh's slot away.
  void abandoned_refresh(std::string_view key) noexcept {
    metrics.increment(Counter::refreshes_abandoned);
    warn_throttled_with(refresh_watchdog_throttle(), "background refresh outran refresh_timeout; abandoned", [&] {
      return LogFields{{"key", std::string(key)},
                       {"refresh_timeout_ms", std::to_string(cfg.refresh_timeout.count())}};
    });
  }

  // Does the store hold an entry of `key` stored after `than` (another
  // instance's refresh, or a newer compute)? A store failure counts and reads
  // as no. After a compute the store is peeked when it can be (store_traits.hpp).
  bool newer_in_store(std::string_view key, WallTime than, WallTime now, bool after_compute = false) noexcept {
    try {
      auto e = [&] {
        if constexpr (has_peek_v<Store>) {
          if (after_compute) return store->peek(key, now);
        }
        return store->get(key, now);
      }();
      return e && e->stored_at > than;
    } catch (...) {
      metrics.increment(Counter::cache_errors);
      warn_throttled(store_error_throttle(), "store get failed before a refresh", key);
      return false;
    }
  }

  // The executor refused or lost the refresh: forget it and count it.
  void drop_refresh(RefreshTicket& t) noexcept {
    LifetimeGate::Pass pass(gate);
    if (!pass) return;
    guard.end(t.op);
    refreshes.finish(t.key, false, t.scheduled_at, cfg.refresh_retry_backoff, t.generation);
    metrics.increment(Counter::swr_background_dropped);
  }

  // Body of a refresh task; the caller has entered the gate and claimed `t`.
  void run_refresh(RefreshTicket& t) noexcept {
    if (guard.poisoned(t.op)) {  // invalidated while queued: its result could not be stored
      guard.end(t.op);
      refreshes.finish(t.key, false, t.scheduled_at, cfg.refresh_retry_backoff, t.generation);
      return;
    }
    WallTime now = t.scheduled_at;
    try {
      now = read_clock(cfg.wall_clock);
    } catch (...) {
      warn_throttled(wall_clock_throttle(), "wall clock failed; refresh uses its scheduling time", t.key);
    }
    std::optional<std::string> token;
    if constexpr (has_refresh_lock_v<Store>) {
      try {
        auto lock = store->try_lock_refresh(t.key, cfg.refresh_lock_ttl);
        if (lock) token.emplace(std::move(*lock));
      } catch (...) {
        metrics.increment(Counter::cache_errors);
        warn_throttled(store_error_throttle(), "store refresh lock failed; refresh skipped", t.key);
      }
      if (!token) {  // another instance refreshes this key; keep serving stale
        guard.end(t.op);
        refreshes.finish(t.key, false, now, cfg.refresh_retry_backoff, t.generation);
        return;
      }
    }
    const bool failed = !refresh_value(t, now);
    metrics.increment(failed ? Counter::swr_background_error : Counter::swr_background_success);
    if constexpr (has_refresh_lock_v<Store>) {
      try {
        store->unlock_refresh(t.key, *token);
      } catch (...) {
        metrics.increment(Counter::cache_errors);
        warn_throttled(store_error_throttle(), "store refresh unlock failed", t.key);
      }
    }
    guard.end(t.op);
    refreshes.finish(t.key, failed, now, cfg.refresh_retry_backoff, t.generation);
  }

  std::shared_ptr<Store> store;
  Config cfg;
  CacheMetrics& metrics;
  TagManager tags;
  InvalidationGuard guard;
  RefreshTracker refreshes;
  SingleFlight<V> flight;
  LifetimeGate gate;
  // cfg.ttl_jitter, read on every miss: apply_jitter clamps the same way, and a
  // request judges freshness with this allowance so that a TTL jittered
  // upwards is honoured.
  double jitter = 0;
  // A compute deadline is configured: misses take the bounded path (deadline.hpp).
  bool deadlines = false;
  // Computes queued or running on the compute pool (deadline.hpp).
  std::atomic<std::size_t> bounded_computes{0};

 private:
  // Computes and stores t's value; false when it failed. The store is looked
  // at first: a newer value than the stale one (another instance's refresh,
  // or a compute here) is used as it is. A refresh the watchdog abandoned
  // stores its late value only if nothing newer landed meanwhile.
  bool refresh_value(RefreshTicket& t, WallTime now) noexcept {
    try {
      if (newer_in_store(t.key, t.seen_stored_at, now)) return true;
      V value = t.compute();
      if (!refreshes.holds(t.key, t.generation) && newer_in_store(t.key, t.seen_stored_at, now, true)) return true;
      const ZonePolicy p = policy_for(cfg.zones.zone_for(t.kickoff, now), t.vix);
      const PutOutcome out = put_guarded(t.key, make_entry(std::move(value), now, p, t.tags), now, t.op);
      if (out.evictions > 0) metrics.increment(Counter::cache_evictions, out.evictions);
      if (out.store_errors == 0) return true;
      metrics.increment(Counter::cache_errors, out.store_errors);
    } catch (...) {
      warn_throttled(refresh_error_throttle(), "background refresh failed; stale entry kept", t.key);
    }
    return false;
  }
};

}  // namespace smartcache::detail
