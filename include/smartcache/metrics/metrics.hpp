// smartcache - CacheMetrics: every counter and latency figure of the cache, striped per thread.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <smartcache/detail/metrics/format_cache.hpp>
#include <smartcache/detail/metrics/histogram.hpp>
#include <smartcache/detail/metrics/make_stats.hpp>
#include <smartcache/detail/metrics/names.hpp>
#include <smartcache/detail/metrics/sampler.hpp>
#include <smartcache/detail/metrics/stripe.hpp>
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
  /// Stripes (each its own mutex, counters and histograms; see CacheMetrics):
  /// 0 picks the smallest power of two >= std::thread::hardware_concurrency(),
  /// at most 16; any other value is rounded up to a power of two, at most 64.
  std::size_t stripes = 0;
};


/// All the counters, gauges and latency figures of a cache.
///
/// The class is thread-safe: every member may be called concurrently from any
/// number of threads. Every recording entry point is noexcept and takes one
/// mutex at most once; sampling is decided before the lock, and a
/// `record_latency` whose observation is sampled out takes no lock at all.
///
/// Striped: the figures live in `stripes()` cache-line-aligned stripes (a
/// power of two, by default >= the hardware threads, at most 16), each with
/// its own mutex, lifetime counters, latency histograms, min/max and CPU-saved
/// sums. A thread picks its stripe once (the least used one, on its first
/// recording) and records every request into it under that stripe's mutex
/// only, so threads on different stripes never contend. Readers
/// (`get_stats`, `snapshot`, `to_prometheus`) and resets take every stripe's
/// mutex in index order, all held at once, and fold the stripes: every
/// snapshot is consistent (sum of strategy_* == total_requests exactly).
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
        stripe_count_(detail::metrics_stripe_count(options_.stripes, std::thread::hardware_concurrency())),
        stripes_(new detail::MetricsStripe[stripe_count_]) {
    set_latency_sampling(options_.latency_sample_rate);
    options_.latency_buckets_seconds = detail::LatencyHistogram(options_.latency_buckets_seconds).bounds_seconds();
    options_.stripes = stripe_count_;
    for (std::size_t i = 0; i < stripe_count_; ++i) stripes_[i].set_bounds(options_.latency_buckets_seconds);
    for (auto& h : latency_baseline_) h = detail::LatencyHistogram(options_.latency_buckets_seconds);
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
    auto& st = my_stripe();
    std::lock_guard<std::mutex> lock(st.mutex);
    st.lifetime[i] += n;
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
    auto& st = my_stripe();
    if (valid && !sampled) {
      // Nothing to observe: count the request without taking the lock.
      st.unobserved_requests.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (!valid) warn_rejected_latency(latency_ms);
    std::lock_guard<std::mutex> lock(st.mutex);
    ++st.lifetime[index(Counter::total_requests)];
    if (!valid) ++st.lifetime[index(Counter::latency_rejected)];
    if (sampled) st.observe_locked(detail::unspecified_series, latency_ms);
  }

  /// Records the CPU share (0-100 %) a surgical invalidation saved. Values
  /// outside [0, 100] are clamped; NaN and infinities are ignored.
  ///
  /// Example: `m.record_cpu_saved(87.5);`
  void record_cpu_saved(double pct) noexcept {
    if (!std::isfinite(pct)) return;
    auto& st = my_stripe();
    std::lock_guard<std::mutex> lock(st.mutex);
    add_cpu_saved_locked(st, pct);
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
    auto& st = my_stripe();
    std::lock_guard<std::mutex> lock(st.mutex);
    auto& lifetime = st.lifetime;
    ++lifetime[index(Counter::total_requests)];
    ++lifetime[strategy_counter(r.strategy)];
    if (r.vix) {
      ++lifetime[vix_counter(*r.vix)];
      if (*r.vix == VixStatus::panic && r.strategy == Strategy::bypass)
        ++lifetime[index(Counter::cache_bypass_vix)];
    }
    if (r.zone) ++lifetime[zone_counter(*r.zone)];
    if (const auto l = static_cast<std::size_t>(r.lookup); l < detail::lookup_count)
      ++st.lookups[l];  // folded into the lookup's counters by readers
    if (r.tier != Tier::none)
      ++lifetime[index(r.tier == Tier::memory ? Counter::tier_memory_hits : Counter::tier_redis_hits)];
    if (r.store_errors != 0) lifetime[index(Counter::cache_errors)] += r.store_errors;
    if (r.evictions != 0) lifetime[index(Counter::cache_evictions)] += r.evictions;
    if (r.latency_unmeasured) ++lifetime[index(Counter::latency_unmeasured)];
    if (rejected) ++lifetime[index(Counter::latency_rejected)];
    if (observe) st.observe_locked(detail::latency_series_of(r.strategy), *r.latency_ms);
  }

  /// Records everything one invalidation did with a single lock acquisition.
  ///
  /// Example:
  ///   m.record_invalidation({/*surgical=*/true, /*markets_affected=*/4,
  ///                          /*keys_deleted=*/39, /*markets_preserved=*/16, 80.0});
  void record_invalidation(const InvalidationRecord& r) noexcept {
    auto& st = my_stripe();
    std::lock_guard<std::mutex> lock(st.mutex);
    auto& lifetime = st.lifetime;
    ++lifetime[index(r.surgical ? Counter::surgical_invalidation : Counter::full_invalidation)];
    lifetime[index(Counter::markets_affected_logical)] += r.markets_affected;
    lifetime[index(Counter::cache_keys_deleted_actual)] += r.keys_deleted;
    lifetime[index(Counter::markets_preserved)] += r.markets_preserved;
    if (r.cpu_saved_pct && std::isfinite(*r.cpu_saved_pct)) add_cpu_saved_locked(st, *r.cpu_saved_pct);
  }

  /// Starts a new window for one category: what `get_stats()` reports for it
  /// restarts from zero. Prometheus series are untouched (they stay monotonic)
  /// and so is configuration (sampling rate, namespace, buckets).
  ///
  /// Example: `m.reset_category(smartcache::Category::vix);  // new trading day`
  void reset_category(Category c) noexcept {
    const bool performance = c == Category::all || c == Category::performance;
    detail::AllStripesLock lock(stripes_.get(), stripe_count_);
    const auto lifetime = lifetime_locked();
    for (const auto& info : detail::counter_table)
      if (c == Category::all || info.category == c)
        baseline_[index(info.counter)] = lifetime[index(info.counter)];
    if (c == Category::all || c == Category::tagmanager) {
      const auto [sum, count] = cpu_saved_locked();
      cpu_saved_baseline_sum_ = sum;
      cpu_saved_baseline_count_ = count;
    }
    if (performance) {
      for (std::size_t k = 0; k < detail::latency_series_count; ++k) {
        latency_baseline_[k].clear();
        for (std::size_t i = 0; i < stripe_count_; ++i) latency_baseline_[k] += stripes_[i].latency[k];
      }
      for (std::size_t i = 0; i < stripe_count_; ++i) stripes_[i].window_seen.fill(false);
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
    std::array<detail::LatencyWindow, detail::latency_series_count> latency;
    for (auto& w : latency) w.histogram = detail::LatencyHistogram(options_.latency_buckets_seconds);
    double cpu_sum = 0;
    std::uint64_t cpu_count = 0;
    {
      detail::AllStripesLock lock(stripes_.get(), stripe_count_);
      const auto lifetime = lifetime_locked();
      for (std::size_t i = 0; i < counter_count; ++i) window[i] = lifetime[i] - baseline_[i];
      for (std::size_t i = 0; i < stripe_count_; ++i) {
        const auto& st = stripes_[i];
        for (std::size_t k = 0; k < detail::latency_series_count; ++k) {
          auto& w = latency[k];
          w.histogram += st.latency[k];
          if (!st.window_seen[k]) continue;
          if (!w.seen || st.window_min_ms[k] < w.min_ms) w.min_ms = st.window_min_ms[k];
          if (!w.seen || st.window_max_ms[k] > w.max_ms) w.max_ms = st.window_max_ms[k];
          w.seen = true;
        }
      }
      const auto [sum, count] = cpu_saved_locked();
      cpu_sum = sum - cpu_saved_baseline_sum_;
      cpu_count = count - cpu_saved_baseline_count_;
      // The baselines are read under the locks too: a reset may move them.
      for (std::size_t k = 0; k < detail::latency_series_count; ++k) latency[k].histogram -= latency_baseline_[k];
    }
    Stats s = detail::make_stats(window, latency, cpu_sum, cpu_count);
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
    const std::size_t buckets = s.latency_bounds_seconds.size();
    for (auto& series : s.latency_series) series.cumulative.assign(buckets, 0);
    {
      detail::AllStripesLock lock(stripes_.get(), stripe_count_);
      s.counters = lifetime_locked();
      for (std::size_t i = 0; i < stripe_count_; ++i) {
        for (std::size_t k = 0; k < detail::latency_series_count; ++k) {
          const auto& h = stripes_[i].latency[k];
          auto& series = s.latency_series[k];
          h.add_bucket_counts_to(series.cumulative);
          series.count += h.count();
          series.sum_ms += h.sum_ms();
        }
      }
      const auto [sum, count] = cpu_saved_locked();
      s.cpu_saved_count = count;
      s.cpu_saved_sum_pct = sum;
    }
    s.latency_cumulative.assign(buckets, 0);
    for (std::size_t k = 0; k < detail::latency_series_count; ++k) {
      auto& series = s.latency_series[k];
      series.strategy = k == detail::unspecified_series ? detail::strategy_unspecified
                                                        : to_string(static_cast<Strategy>(k));
      std::uint64_t running = 0;
      for (std::size_t b = 0; b < buckets; ++b) {
        s.latency_cumulative[b] += series.cumulative[b];
        running += series.cumulative[b];
        series.cumulative[b] = running;
      }
      s.latency_count += series.count;
      s.latency_sum_ms += series.sum_ms;
    }
    std::uint64_t running = 0;
    for (auto& c : s.latency_cumulative) c = running += c;
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

  /// The lifetime series in the OpenMetrics 1.0 text format (serve it with
  /// `openmetrics_content_type`), ending in `# EOF`; each counter's `_created`
  /// is `created_unix_seconds()`. Defined in <smartcache/metrics/openmetrics.hpp>,
  /// which the umbrella header and <smartcache/cache.hpp> include.
  ///
  /// Example: `if (wants_openmetrics) body = m.to_openmetrics();`
  [[nodiscard]] std::string to_openmetrics() const;

  /// When this instance's lifetime series began (wall clock, seconds since the
  /// Unix epoch): construction. Resets never move it.
  [[nodiscard]] double created_unix_seconds() const noexcept { return created_unix_seconds_; }

  /// The options this instance was built with (the sample rate as configured
  /// at construction; `latency_sample_rate()` gives the current one).
  [[nodiscard]] const MetricsOptions& options() const noexcept { return options_; }

  /// The number of stripes (a power of two; `options().stripes` too).
  [[nodiscard]] std::size_t stripes() const noexcept { return stripe_count_; }

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

  // The calling thread's stripe.
  detail::MetricsStripe& my_stripe() const noexcept {
    const detail::StripeCache& cache = detail::this_thread_stripe_cache();
    if (cache.owner == id_) return *cache.stripe;
    return find_my_stripe();
  }

  // my_stripe's first call on a thread (or after the thread used another
  // instance), kept out of line so that the hot path stays a load and a compare.
#if defined(__GNUC__)
  [[gnu::noinline, gnu::cold]]
#endif
  detail::MetricsStripe& find_my_stripe() const noexcept {
    detail::MetricsStripe& st = stripes_[detail::this_thread_stripe_slot() & (stripe_count_ - 1)];
    detail::StripeCache& cache = detail::this_thread_stripe_cache();
    cache.owner = id_;
    cache.stripe = &st;
    return st;
  }

  // Lifetime counters of every stripe, including the requests counted without
  // the lock. Requires every stripe's mutex.
  [[nodiscard]] std::array<std::uint64_t, counter_count> lifetime_locked() const noexcept {
    std::array<std::uint64_t, counter_count> lifetime{};
    for (std::size_t i = 0; i < stripe_count_; ++i) {
      const auto& st = stripes_[i];
      for (std::size_t c = 0; c < counter_count; ++c) lifetime[c] += st.lifetime[c];
      detail::fold_lookups(st.lookups, lifetime);
      lifetime[index(Counter::total_requests)] += st.unobserved_requests.load(std::memory_order_relaxed);
    }
    return lifetime;
  }

  // The CPU-saved sum and count of every stripe. Requires every stripe's mutex.
  [[nodiscard]] std::pair<double, std::uint64_t> cpu_saved_locked() const noexcept {
    double sum = 0;
    std::uint64_t count = 0;
    for (std::size_t i = 0; i < stripe_count_; ++i) {
      sum += stripes_[i].cpu_saved_sum;
      count += stripes_[i].cpu_saved_count;
    }
    return {sum, count};
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

  static void add_cpu_saved_locked(detail::MetricsStripe& st, double pct) noexcept {
    st.cpu_saved_sum += std::clamp(pct, 0.0, 100.0);
    ++st.cpu_saved_count;
  }

  void warn_rejected_latency(double ms) noexcept {
    detail::warn_throttled_with(rejected_latency_throttle_, "invalid latency not observed",
                           [ms] { return detail::LogFields{{"latency_ms", fmt::format("{}", ms)}}; });
  }

  MetricsOptions options_;
  double created_unix_seconds_ =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  detail::Sampler sampler_;
  mutable detail::LogThrottle unknown_name_throttle_;
  mutable detail::LogThrottle rejected_latency_throttle_;

  // The stripes: the lifetime figures (each stripe's record_latency calls
  // without an observation are counted lock-free in its own atomic, so that
  // sampling really takes the cost off the hot path).
  std::size_t stripe_count_;
  std::unique_ptr<detail::MetricsStripe[]> stripes_;
  const std::uint64_t id_ = detail::next_metrics_id();  // for each thread's StripeCache

  // What the output formats keep here (their compiled text; see
  // detail/exposition/compiled.hpp): opaque to the metrics.
  detail::FormatCache format_cache_;

  // The window baselines (lifetime, folded over the stripes, at each
  // category's last reset): read and written with every stripe's mutex held.
  std::array<std::uint64_t, counter_count> baseline_{};
  std::array<detail::LatencyHistogram, detail::latency_series_count> latency_baseline_;
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

