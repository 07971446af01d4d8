// smartcache - one stripe of CacheMetrics: a mutex and the lifetime figures behind it.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <smartcache/detail/metrics/histogram.hpp>
#include <smartcache/metrics/counters.hpp>
#include <smartcache/metrics/snapshot.hpp>
#include <smartcache/types.hpp>

namespace smartcache::detail {

/// The latency series of a CacheMetrics: one per Strategy (indexed by its
/// value: bypass, compute, serve_stale, serve_fresh), then one for latencies
/// recorded without a strategy (`record_latency`).
inline constexpr std::size_t strategy_series_count = 4;
inline constexpr std::size_t unspecified_series = strategy_series_count;
inline constexpr std::size_t latency_series_count = strategy_series_count + 1;
static_assert(latency_series_count == smartcache::latency_series_count);

[[nodiscard]] constexpr std::size_t latency_series_of(Strategy s) noexcept {
  return static_cast<std::size_t>(s) < strategy_series_count ? static_cast<std::size_t>(s) : unspecified_series;
}

/// The most stripes a CacheMetrics has (a power of two), and the most the
/// automatic choice picks: each stripe holds five fine histograms (about
/// 9.4 KB each), so the automatic count stops at 16 (about 750 KB).
inline constexpr std::size_t max_metrics_stripes = 64;
inline constexpr std::size_t max_auto_metrics_stripes = 16;

[[nodiscard]] constexpr std::size_t round_up_to_power_of_two(std::size_t n) noexcept {
  std::size_t p = 1;
  while (p < n && p < max_metrics_stripes) p <<= 1;
  return p;
}

/// The stripe count for `requested` (0: automatic, the smallest power of two
/// >= the hardware threads, at most max_auto_metrics_stripes): a power of
/// two in [1, max_metrics_stripes].
///
/// Example: `metrics_stripe_count(0, 12) == 16`, `metrics_stripe_count(3, 12) == 4`
[[nodiscard]] constexpr std::size_t metrics_stripe_count(std::size_t requested, unsigned hardware_threads) noexcept {
  if (requested == 0) {
    const std::size_t hw = hardware_threads == 0 ? 1 : hardware_threads;
    return round_up_to_power_of_two(hw < max_auto_metrics_stripes ? hw : max_auto_metrics_stripes);
  }
  return round_up_to_power_of_two(requested);
}

// Live threads per slot (process-wide, shared by every CacheMetrics): a thread
// claims the least used slot on its first recording and gives it back when it
// exits, so that threads alive together get different stripes while there
// are no more of them than stripes.
inline std::array<std::atomic<std::uint32_t>, max_metrics_stripes>& stripe_slot_users() noexcept {
  static std::array<std::atomic<std::uint32_t>, max_metrics_stripes> users{};
  return users;
}

struct StripeSlotClaim {
  std::size_t slot;

  StripeSlotClaim() noexcept : slot(claim()) {}
  ~StripeSlotClaim() { stripe_slot_users()[slot].fetch_sub(1, std::memory_order_relaxed); }
  StripeSlotClaim(const StripeSlotClaim&) = delete;
  StripeSlotClaim& operator=(const StripeSlotClaim&) = delete;

  static std::size_t claim() noexcept {
    auto& users = stripe_slot_users();
    for (;;) {
      std::size_t best = 0;
      std::uint32_t least = users[0].load(std::memory_order_relaxed);
      for (std::size_t i = 1; i < users.size() && least > 0; ++i) {
        const std::uint32_t n = users[i].load(std::memory_order_relaxed);
        if (n < least) {
          least = n;
          best = i;
        }
      }
      if (users[best].compare_exchange_weak(least, least + 1, std::memory_order_relaxed)) return best;
    }
  }
};

/// This thread's slot in [0, max_metrics_stripes), picked once per thread; a
/// CacheMetrics with n stripes uses stripe `slot & (n - 1)`.
[[nodiscard]] inline std::size_t this_thread_stripe_slot() noexcept {
  // Read once per thread and instance (the hot path reads StripeCache): a
  // trivially initialised thread_local, then the claim, whose destructor
  // gives the slot back when the thread exits, made once per thread.
  constexpr std::size_t unclaimed = ~std::size_t{0};
  thread_local std::size_t slot = unclaimed;
  if (slot != unclaimed) return slot;
  thread_local const StripeSlotClaim claim;
  slot = claim.slot;
  return slot;
}

/// The counters a request's Lookup adds one to (Counter count = none): a
/// fresh hit is also served fresh, a stale hit served stale, a too-stale entry
/// is a miss. Indexed by Lookup's value.
inline constexpr std::size_t lookup_count = 5;
inline constexpr std::size_t no_counter = counter_count;
inline constexpr std::array<std::array<std::size_t, 2>, lookup_count> lookup_counters{{
    {no_counter, no_counter},                                                      // none
    {static_cast<std::size_t>(Counter::cache_hit_fresh), static_cast<std::size_t>(Counter::swr_served_fresh)},
    {static_cast<std::size_t>(Counter::cache_hit_stale), static_cast<std::size_t>(Counter::swr_served_stale)},
    {static_cast<std::size_t>(Counter::cache_miss), static_cast<std::size_t>(Counter::swr_too_stale)},
    {static_cast<std::size_t>(Counter::cache_miss), no_counter},                   // miss
}};
static_assert(static_cast<std::size_t>(Lookup::miss) + 1 == lookup_count);

/// Adds a stripe's lookup tallies into `lifetime` (what the counters read).
inline void fold_lookups(const std::array<std::uint64_t, lookup_count>& lookups,
                         std::array<std::uint64_t, counter_count>& lifetime) noexcept {
  for (std::size_t l = 0; l < lookup_count; ++l)
    for (const std::size_t c : lookup_counters[l])
      if (c != no_counter) lifetime[c] += lookups[l];
}

/// A thread's last stripe: which CacheMetrics (by its process-unique id) and
/// which of its stripes. A hit is one thread-local load and compare, and the
/// stripe's address comes from a load, not from an index computation; the
/// miss path is out of line, so the recording functions stay small.
/// Ids are never reused, so an entry of a destroyed instance never matches.
struct StripeCache {
  std::uint64_t owner = 0;  // 0: none
  struct MetricsStripe* stripe = nullptr;
};

[[nodiscard]] inline StripeCache& this_thread_stripe_cache() noexcept {
  thread_local StripeCache cache;  // trivially initialised: no guard on the hot path
  return cache;
}

/// A new CacheMetrics id, never 0 and never repeated in the process.
[[nodiscard]] inline std::uint64_t next_metrics_id() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// One stripe of a CacheMetrics: what the threads recording into it have
/// recorded over the instance's lifetime, under the stripe's own mutex.
/// A cache line of its own (alignas(64)), so stripes never share one.
struct alignas(64) MetricsStripe {
  std::mutex mutex;
  std::array<std::uint64_t, counter_count> lifetime{};
  // Requests by Lookup (indexed by its value), counted once here rather than
  // in the two counters each stands for (see lookup_counters): the fold adds
  // them in, so a request pays one increment for its lookup, not two.
  std::array<std::uint64_t, lookup_count> lookups{};
  std::array<LatencyHistogram, latency_series_count> latency;
  // Min and max observed since the last performance reset, per series
  // (valid where window_seen).
  std::array<double, latency_series_count> window_min_ms{};
  std::array<double, latency_series_count> window_max_ms{};
  std::array<bool, latency_series_count> window_seen{};
  double cpu_saved_sum = 0;
  std::uint64_t cpu_saved_count = 0;
  // record_latency calls without an observation, counted without the mutex.
  std::atomic<std::uint64_t> unobserved_requests{0};

  void set_bounds(const std::vector<double>& bounds_seconds) {
    for (auto& h : latency) h = LatencyHistogram(bounds_seconds);
  }

  // Requires mutex.
  void observe_locked(std::size_t series, double ms) noexcept {
    latency[series].observe(ms);
    if (!window_seen[series] || ms < window_min_ms[series]) window_min_ms[series] = ms;
    if (!window_seen[series] || ms > window_max_ms[series]) window_max_ms[series] = ms;
    window_seen[series] = true;
  }
};

/// Every stripe's mutex, taken in index order (so that two readers never
/// deadlock) and released in reverse: what readers and resets hold.
class AllStripesLock {
 public:
  AllStripesLock(MetricsStripe* stripes, std::size_t n) noexcept : stripes_(stripes), n_(n) {
    for (std::size_t i = 0; i < n_; ++i) stripes_[i].mutex.lock();
  }
  ~AllStripesLock() {
    for (std::size_t i = n_; i-- > 0;) stripes_[i].mutex.unlock();
  }
  AllStripesLock(const AllStripesLock&) = delete;
  AllStripesLock& operator=(const AllStripesLock&) = delete;

 private:
  MetricsStripe* stripes_;
  std::size_t n_;
};

}  // namespace smartcache::detail
