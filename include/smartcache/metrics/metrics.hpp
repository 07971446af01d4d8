// smartcache - CacheMetrics: every counter and latency figure of the cache under one mutex.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smartcache/detail/metrics/histogram.hpp>
#include <smartcache/detail/metrics/make_stats.hpp>
#include <smartcache/detail/metrics/names.hpp>
#include <smartcache/detail/metrics/sampler.hpp>
#include <smartcache/log.hpp>
#include <smartcache/metrics/counters.hpp>
#include <smartcache/metrics/records.hpp>
#include <smartcache/metrics/snapshot.hpp>
#include <smartcache/metrics/stats.hpp>
#include <smartcache/types.hpp>

namespace smartcache {

/// Latencies above this (one hour, in ms) are not observed: no request through
/// a cache takes that long, and summing such values could overflow to inf.
inline constexpr double max_latency_ms = 3'600'000.0;

/// Whether `latency_ms` can be observed: finite, not negative, at most
/// `max_latency_ms`. NaN fails every comparison, so it is rejected too.
///
/// Example: `static_assert(!smartcache::observable_latency(-1.0));`
[[nodiscard]] constexpr bool observable_latency(double latency_ms) noexcept {
  return latency_ms >= 0.0 && latency_ms <= max_latency_ms;
}

/// Options fixed at construction.
struct MetricsOptions {
  std::string prometheus_namespace = "smartcache";
  /// Constant labels added to every exported series (values are escaped;
  /// invalid label names are dropped with a warning).
  Labels const_labels;
  /// Upper bounds of the exported latency histogram, in seconds.
  std::vector<double> latency_buckets_seconds = detail::default_latency_buckets_seconds();
  double latency_sample_rate = 1.0;
};


/// All the counters, gauges and latency figures of a cache.
///
/// The class is thread-safe: every member may be called concurrently from any
/// number of threads. Every recording entry point is noexcept and takes the
/// internal mutex at most once; sampling is decided before the lock, and a
/// `record_latency` whose observation is sampled out takes no lock at all.
///
/// Two views of the same data: `get_stats()` reports the window since the last
/// reset of each category, while `to_prometheus()` exports lifetime series that
/// never go backwards (a reset moves a per-counter baseline, nothing else).
///
/// Example:
///   smartcache::CacheMetrics m;
///   m.increment(smartcache::Counter::cache_hit_fresh);
///   m.record_latency(0.42);                       // one request, 0.42 ms
///   smartcache::Stats s = m.get_stats();          // s.total_requests == 1
///   std::string text = m.to_prometheus();         // serve on /metrics
class CacheMetrics {
 public:
  explicit CacheMetrics(MetricsOptions options = {})
      : options_(std::move(options)),
        sampler_(1.0),
        latency_(options_.latency_buckets_seconds),
        latency_baseline_(options_.latency_buckets_seconds) {
    set_latency_sampling(options_.latency_sample_rate);
    options_.latency_buckets_seconds = latency_.bounds_seconds();
    warn_colliding_const_labels();
    // Validate the constant labels once, so a bad one is reported at start-up
    // rather than silently on every scrape (expositions drop it).
    for (std::size_t i = 0; i < options_.const_labels.size(); ++i)
      if (const auto problem = detail::const_label_problem(options_.const_labels, i); !problem.empty())
        detail::log(LogLevel::warning, "invalid constant label dropped from the exposition",
                    {{"label", options_.const_labels[i].first}, {"reason", std::string(problem)}});
  }

  CacheMetrics(const CacheMetrics&) = delete;
  CacheMetrics& operator=(const CacheMetrics&) = delete;

  /// Adds `n` to counter `c`.
  ///
  /// Example: `m.increment(smartcache::Counter::cache_errors);`
  void increment(Counter c, std::uint64_t n = 1) noexcept {
    const auto i = static_cast<std::size_t>(c);
    if (i >= counter_count) return;
    std::lock_guard<std::mutex> lock(mutex_);
    lifetime_[i] += n;
  }

  /// Adds `n` to the counter called `name` (the reference's stats key, e.g.
  /// "cache_hit_fresh"). Returns false, and changes nothing, for an unknown name.
  ///
  /// Example: `bool known = m.increment("vix_panic_detected");`
  bool increment(std::string_view name, std::uint64_t n = 1) noexcept {
    const auto c = parse_counter(name);
    if (!c) {
      detail::warn_throttled_with(unknown_name_throttle_, "unknown counter name ignored",
                             [name] { return detail::LogFields{{"name", std::string(name)}}; });
      return false;
    }
    increment(*c, n);
    return true;
  }

  /// Records one request and its latency in milliseconds. Every call counts in
  /// `total_requests`; the latency itself is observed only for the sampled
  /// fraction of calls. Negative, NaN, infinite or above-an-hour latencies
  /// (see `observable_latency`) are not observed: they count in
  /// `latency_rejected`, logged at most once a second.
  ///
  /// Example: `m.record_latency(elapsed_ms);`
  void record_latency(double latency_ms) noexcept {
    const bool valid = observable_latency(latency_ms);
    const bool sampled = valid && sampler_.sample();
    if (valid && !sampled) {
      // Nothing to observe: count the request without taking the lock.
      unobserved_requests_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (!valid) warn_rejected_latency(latency_ms);
    std::lock_guard<std::mutex> lock(mutex_);
    ++lifetime_[index(Counter::total_requests)];
    if (!valid) ++lifetime_[index(Counter::latency_rejected)];
    if (sampled) observe_locked(latency_ms);
  }

  /// Records the CPU share (0-100 %) a surgical invalidation saved. Values
  /// outside [0, 100] are clamped; NaN and infinities are ignored.
  ///
  /// Example: `m.record_cpu_saved(87.5);`
  void record_cpu_saved(double pct) noexcept {
    if (!std::isfinite(pct)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    add_cpu_saved_locked(pct);
  }

  /// Sets the fraction of latencies observed, clamped to [0, 1]. NaN leaves the
  /// rate unchanged and logs a warning. Survives every reset.
  ///
  /// Example: `m.set_latency_sampling(0.01);  // observe 1 % of requests`
  void set_latency_sampling(double rate) noexcept {
    if (!sampler_.set(rate))
      detail::log(LogLevel::warning, "NaN latency sampling rate ignored",
                  {{"rate", fmt::format("{}", sampler_.rate())}});
  }

  /// The current latency sampling rate in [0, 1].
  [[nodiscard]] double latency_sample_rate() const noexcept { return sampler_.rate(); }

  /// Draws whether the next latency should be observed (thread-local
  /// generator, no lock). Callers that measure latency themselves call it
  /// first and read their end clock only when it says yes.
  [[nodiscard]] bool should_sample_latency() const noexcept { return sampler_.sample(); }

  /// Records everything one request did with a single lock acquisition.
  /// `r.latency_ms` is observed as given (already sampled by the caller); an
  /// invalid value is rejected like in `record_latency`.
  ///
  /// Example:
  ///   smartcache::RequestRecord r;
  ///   r.strategy = smartcache::Strategy::serve_fresh;
  ///   r.vix = smartcache::VixStatus::normal;
  ///   r.zone = smartcache::Zone::golden;
  ///   r.lookup = smartcache::Lookup::fresh;
  ///   r.latency_ms = 0.08;
  ///   m.record_request(r);
  void record_request(const RequestRecord& r) noexcept {
    bool observe = r.latency_ms.has_value();
    bool rejected = false;
    if (observe && !observable_latency(*r.latency_ms)) {
      observe = false;
      rejected = true;
      warn_rejected_latency(*r.latency_ms);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ++lifetime_[index(Counter::total_requests)];
    ++lifetime_[strategy_counter(r.strategy)];
    if (r.vix) {
      ++lifetime_[vix_counter(*r.vix)];
      if (*r.vix == VixStatus::panic && r.strategy == Strategy::bypass)
        ++lifetime_[index(Counter::cache_bypass_vix)];
    }
    if (r.zone) ++lifetime_[zone_counter(*r.zone)];
    switch (r.lookup) {
      case Lookup::fresh:
        ++lifetime_[index(Counter::cache_hit_fresh)];
        ++lifetime_[index(Counter::swr_served_fresh)];
        break;
      case Lookup::stale:
        ++lifetime_[index(Counter::cache_hit_stale)];
        ++lifetime_[index(Counter::swr_served_stale)];
        break;
      case Lookup::too_stale:
        ++lifetime_[index(Counter::cache_miss)];
        ++lifetime_[index(Counter::swr_too_stale)];
        break;
      case Lookup::miss: ++lifetime_[index(Counter::cache_miss)]; break;
      case Lookup::none: break;
    }
    lifetime_[index(Counter::cache_errors)] += r.store_errors;
    lifetime_[index(Counter::cache_evictions)] += r.evictions;
    if (r.latency_unmeasured) ++lifetime_[index(Counter::latency_unmeasured)];
    if (rejected) ++lifetime_[index(Counter::latency_rejected)];
    if (observe) observe_locked(*r.latency_ms);
  }

  /// Records everything one invalidation did with a single lock acquisition.
  ///
  /// Example:
  ///   m.record_invalidation({/*surgical=*/true, /*markets_affected=*/4,
  ///                          /*keys_deleted=*/39, /*markets_preserved=*/16, 80.0});
  void record_invalidation(const InvalidationRecord& r) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    ++lifetime_[index(r.surgical ? Counter::surgical_invalidation : Counter::full_invalidation)];
    lifetime_[index(Counter::markets_affected_logical)] += r.markets_affected;
    lifetime_[index(Counter::cache_keys_deleted_actual)] += r.keys_deleted;
    lifetime_[index(Counter::markets_preserved)] += r.markets_preserved;
    if (r.cpu_saved_pct && std::isfinite(*r.cpu_saved_pct)) add_cpu_saved_locked(*r.cpu_saved_pct);
  }

  /// Starts a new window for one category: what `get_stats()` reports for it
  /// restarts from zero. Prometheus series are untouched (they stay monotonic)
  /// and so is configuration (sampling rate, namespace, buckets).
  ///
  /// Example: `m.reset_category(smartcache::Category::vix);  // new trading day`
  void reset_category(Category c) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto lifetime = lifetime_locked();
    for (const auto& info : detail::counter_table)
      if (c == Category::all || info.category == c)
        baseline_[index(info.counter)] = lifetime[index(info.counter)];
    if (c == Category::all || c == Category::tagmanager) {
      cpu_saved_baseline_sum_ = cpu_saved_sum_;
      cpu_saved_baseline_count_ = cpu_saved_count_;
    }
    if (c == Category::all || c == Category::performance) {
      latency_baseline_ = latency_;
      window_min_ms_ = 0;
      window_max_ms_ = 0;
    }
  }

  /// `reset_category` by name ("vix", "golden_hour", "swr", "tagmanager",
  /// "strategy", "performance", "cache", "all"). Returns false and logs a
  /// warning for an unknown name.
  ///
  /// Example: `m.reset_category("performance");  // hourly window`
  bool reset_category(std::string_view name) noexcept {
    const auto c = parse_category(name);
    if (!c) {
      detail::log(LogLevel::warning, "unknown metrics category, nothing reset",
                  {{"category", std::string(name)},
                   {"valid", "vix,golden_hour,swr,tagmanager,strategy,performance,cache,all"}});
      return false;
    }
    reset_category(*c);
    return true;
  }

  /// `reset_category(Category::all)`: a new window for everything; keeps the
  /// configuration, including the sampling rate.
  void reset() noexcept { reset_category(Category::all); }

  /// A consistent snapshot of the current window, with derived figures and
  /// latency quantiles. Never contains inf or NaN.
  ///
  /// Example: `double p99 = m.get_stats().p99_latency_ms;`
  [[nodiscard]] Stats get_stats() const {
    std::array<std::uint64_t, counter_count> window{};
    detail::LatencyHistogram latency(options_.latency_buckets_seconds);
    double min_ms = 0, max_ms = 0, cpu_sum = 0;
    std::uint64_t cpu_count = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto lifetime = lifetime_locked();
      for (std::size_t i = 0; i < counter_count; ++i) window[i] = lifetime[i] - baseline_[i];
      latency = latency_;
      latency -= latency_baseline_;
      min_ms = window_min_ms_;
      max_ms = window_max_ms_;
      cpu_sum = cpu_saved_sum_ - cpu_saved_baseline_sum_;
      cpu_count = cpu_saved_count_ - cpu_saved_baseline_count_;
    }
    Stats s = detail::make_stats(window, latency, min_ms, max_ms, cpu_sum, cpu_count);
    s.latency_sample_rate = latency_sample_rate();
    return s;
  }

  /// The lifetime series, copied under the lock in one go: what every
  /// exposition writes. Counters here never go backwards (resets move only
  /// the baselines behind `get_stats()`).
  ///
  /// Example: `std::uint64_t n = m.snapshot().counter(smartcache::Counter::total_requests);`
  [[nodiscard]] MetricsSnapshot snapshot() const {
    MetricsSnapshot s;
    s.latency_bounds_seconds = options_.latency_buckets_seconds;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      s.counters = lifetime_locked();
      s.latency_cumulative = latency_.cumulative_counts();
      s.latency_count = latency_.count();
      s.latency_sum_ms = latency_.sum_ms();
      s.cpu_saved_count = cpu_saved_count_;
      s.cpu_saved_sum_pct = cpu_saved_sum_;
    }
    s.latency_sample_rate = latency_sample_rate();
    return s;
  }

  /// The lifetime series in the Prometheus text format 0.0.4 (serve it with
  /// `prometheus_content_type`). `promtool check metrics` accepts it as is.
  /// Recording knows no output format: this is `write_prometheus(snapshot(), ...)`,
  /// defined in <smartcache/metrics/prometheus.hpp>, which the umbrella header
  /// and <smartcache/cache.hpp> include (including only this header and
  /// calling it is a link error).
  ///
  /// Example: `res.set_content(m.to_prometheus(), std::string(smartcache::prometheus_content_type));`
  [[nodiscard]] std::string to_prometheus() const;

  /// The options this instance was built with (the sample rate as configured
  /// at construction; `latency_sample_rate()` gives the current one).
  [[nodiscard]] const MetricsOptions& options() const noexcept { return options_; }

 private:
  static constexpr std::size_t index(Counter c) noexcept { return static_cast<std::size_t>(c); }
  static constexpr std::size_t strategy_counter(Strategy s) noexcept {
    return index(Counter::strategy_bypass) + static_cast<std::size_t>(s);
  }
  static constexpr std::size_t zone_counter(Zone z) noexcept {
    return index(Counter::golden_hour_standard) + static_cast<std::size_t>(z);
  }
  static constexpr std::size_t vix_counter(VixStatus v) noexcept {
    switch (v) {
      case VixStatus::panic: return index(Counter::vix_panic_detected);
      case VixStatus::warning: return index(Counter::vix_warning_detected);
      case VixStatus::normal: break;
    }
    return index(Counter::vix_normal);
  }

  // Lifetime counters including the requests counted without the lock.
  // Requires mutex_.
  [[nodiscard]] std::array<std::uint64_t, counter_count> lifetime_locked() const noexcept {
    auto lifetime = lifetime_;
    lifetime[index(Counter::total_requests)] += unobserved_requests_.load(std::memory_order_relaxed);
    return lifetime;
  }

  // A constant label named like a family's own label (zone, status, ...)
  // cannot sit on that family's series beside it: the writer leaves it out of
  // those series only, and it stays on every other family. Said once, here.
  void warn_colliding_const_labels() const {
    for (const auto& label : options_.const_labels)
      if (std::find(std::begin(detail::partition_labels), std::end(detail::partition_labels),
                    label.first) != std::end(detail::partition_labels))
        detail::log(LogLevel::warning,
                    "constant label collides with a metric label; left out of that family's series",
                    {{"label", label.first}});
  }

  void observe_locked(double ms) noexcept {
    const bool first = latency_.count() == latency_baseline_.count();
    latency_.observe(ms);
    if (first || ms < window_min_ms_) window_min_ms_ = ms;
    if (first || ms > window_max_ms_) window_max_ms_ = ms;
  }

  void add_cpu_saved_locked(double pct) noexcept {
    cpu_saved_sum_ += std::clamp(pct, 0.0, 100.0);
    ++cpu_saved_count_;
  }

  void warn_rejected_latency(double ms) noexcept {
    detail::warn_throttled_with(rejected_latency_throttle_, "invalid latency not observed",
                           [ms] { return detail::LogFields{{"latency_ms", fmt::format("{}", ms)}}; });
  }

  MetricsOptions options_;
  detail::Sampler sampler_;
  mutable detail::LogThrottle unknown_name_throttle_;
  mutable detail::LogThrottle rejected_latency_throttle_;

  // Requests recorded by record_latency without an observation: counted
  // lock-free so that sampling really takes the cost off the hot path.
  std::atomic<std::uint64_t> unobserved_requests_{0};

  mutable std::mutex mutex_;
  std::array<std::uint64_t, counter_count> lifetime_{};
  std::array<std::uint64_t, counter_count> baseline_{};
  detail::LatencyHistogram latency_;           // lifetime, exported
  detail::LatencyHistogram latency_baseline_;  // lifetime at the last performance reset
  double window_min_ms_ = 0;
  double window_max_ms_ = 0;
  double cpu_saved_sum_ = 0;
  std::uint64_t cpu_saved_count_ = 0;
  double cpu_saved_baseline_sum_ = 0;
  std::uint64_t cpu_saved_baseline_count_ = 0;
};

/// The process-wide instance that caches use unless given their own.
/// Thread-safe (a function-local static).
///
/// Example: `std::string text = smartcache::global_metrics().to_prometheus();`
inline CacheMetrics& global_metrics() {
  static CacheMetrics instance;
  return instance;
}

}  // namespace smartcache

