// Striped CacheMetrics: threads record into their own stripes while readers
// fold them; every snapshot is consistent and monotonic, and nothing is lost
// (this file runs under ThreadSanitizer in CI).
#include <smartcache/smartcache.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

namespace {

using smartcache::Counter;
using smartcache::Strategy;

std::uint64_t at(const smartcache::MetricsSnapshot& s, Counter c) { return s.counter(c); }

std::uint64_t strategy_sum(const smartcache::MetricsSnapshot& s) {
  return at(s, Counter::strategy_bypass) + at(s, Counter::strategy_compute) +
         at(s, Counter::strategy_serve_stale) + at(s, Counter::strategy_serve_fresh);
}

// The value of the exposition line that starts with `series` followed by a space.
std::uint64_t exposed(const std::string& text, const std::string& series) {
  const auto line = text.find("\n" + series + " ");
  if (line == std::string::npos) return ~std::uint64_t{0};
  return std::stoull(text.substr(line + series.size() + 2));
}

// Waits until `count` reaches `n` (every thread started): a start line, no sleep.
void arrive_and_wait(std::atomic<int>& count, int n) {
  count.fetch_add(1);
  while (count.load() < n) std::this_thread::yield();
}

// A consistent snapshot: the strategies sum to the requests recorded with
// record_request, i.e. all requests but the unspecified (record_latency) ones,
// which are all observed at sampling rate 1.
void check_consistent(const smartcache::MetricsSnapshot& s) {
  const auto& unspecified = s.latency_series[4];
  REQUIRE(unspecified.strategy == "unspecified");
  REQUIRE(strategy_sum(s) + unspecified.count == at(s, Counter::total_requests));
  std::uint64_t series_count = 0;
  for (const auto& series : s.latency_series) series_count += series.count;
  REQUIRE(series_count == s.latency_count);
  REQUIRE(at(s, Counter::surgical_invalidation) + at(s, Counter::full_invalidation) == s.cpu_saved_count);
}

void check_monotonic(const smartcache::MetricsSnapshot& before, const smartcache::MetricsSnapshot& after) {
  for (std::size_t i = 0; i < smartcache::counter_count; ++i) REQUIRE(after.counters[i] >= before.counters[i]);
  for (std::size_t k = 0; k < after.latency_series.size(); ++k) {
    REQUIRE(after.latency_series[k].count >= before.latency_series[k].count);
    REQUIRE(after.latency_series[k].sum_ms >= before.latency_series[k].sum_ms);
    for (std::size_t b = 0; b < after.latency_series[k].cumulative.size(); ++b)
      REQUIRE(after.latency_series[k].cumulative[b] >= before.latency_series[k].cumulative[b]);
  }
  REQUIRE(after.cpu_saved_count >= before.cpu_saved_count);
}

void check_stats(const smartcache::Stats& s) {
  REQUIRE(s.golden_hour_total == s.golden_hour_standard + s.golden_hour_warmup + s.golden_hour_prematch +
                                     s.golden_hour_golden + s.golden_hour_active);
  REQUIRE(s.hit_rate_pct >= 0);
  REQUIRE(s.hit_rate_pct <= 100);
  REQUIRE(s.min_latency_ms <= s.p50_latency_ms);
  REQUIRE(s.p50_latency_ms <= s.p99_latency_ms);
  REQUIRE(s.p99_latency_ms <= s.max_latency_ms);
  for (double p : {s.p50_serve_fresh_ms, s.p99_serve_fresh_ms, s.p50_serve_stale_ms, s.p99_serve_stale_ms,
                   s.p50_compute_ms, s.p99_compute_ms, s.p50_bypass_ms, s.p99_bypass_ms}) {
    REQUIRE(p >= 0);
    REQUIRE(p <= s.max_latency_ms);
  }
}

}  // namespace

TEST_CASE("stripe count: a power of two, from the hardware threads or the option", "[metrics][stripes]") {
  using smartcache::detail::metrics_stripe_count;
  STATIC_REQUIRE(metrics_stripe_count(0, 0) == 1);
  STATIC_REQUIRE(metrics_stripe_count(0, 1) == 1);
  STATIC_REQUIRE(metrics_stripe_count(0, 2) == 2);
  STATIC_REQUIRE(metrics_stripe_count(0, 6) == 8);
  STATIC_REQUIRE(metrics_stripe_count(0, 256) == 16);
  STATIC_REQUIRE(metrics_stripe_count(3, 2) == 4);
  STATIC_REQUIRE(metrics_stripe_count(1000, 2) == 64);
  STATIC_REQUIRE(alignof(smartcache::detail::MetricsStripe) == 64);
  STATIC_REQUIRE(sizeof(smartcache::detail::MetricsStripe) % 64 == 0);

  smartcache::MetricsOptions o;
  o.stripes = 5;
  smartcache::CacheMetrics m(o);
  CHECK(m.stripes() == 8);
  CHECK(m.options().stripes == 8);
  const smartcache::CacheMetrics automatic;
  CHECK(automatic.stripes() >= 1);
  CHECK((automatic.stripes() & (automatic.stripes() - 1)) == 0);
}

TEST_CASE("threads alive together record into different stripes", "[metrics][stripes]") {
  // Each thread's slot is the least used one when it first records.
  std::array<std::size_t, 2> slots{};
  std::atomic<int> started{0};
  std::atomic<int> picked{0};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < slots.size(); ++t)
    threads.emplace_back([&, t] {
      arrive_and_wait(started, 2);
      slots[t] = smartcache::detail::this_thread_stripe_slot();
      arrive_and_wait(picked, 2);  // both alive until both have picked
    });
  for (auto& th : threads) th.join();
  CHECK(slots[0] != slots[1]);
}

TEST_CASE("striped recording: every snapshot consistent and monotonic, totals exact", "[metrics][stripes][concurrency]") {
  const std::size_t stripes = GENERATE(std::size_t{0}, std::size_t{1}, std::size_t{8});
  CAPTURE(stripes);
  smartcache::MetricsOptions o;
  o.stripes = stripes;
  smartcache::CacheMetrics m(o);  // sampling 1: every record_latency is observed
  smartcache::MetricsOptions sampled_options;
  sampled_options.stripes = stripes;
  sampled_options.latency_sample_rate = 0.3;
  smartcache::CacheMetrics sampled(sampled_options);  // the lock-free count of sampled-out latencies

  constexpr int writers = 4;
  constexpr int per_writer = 4000;
  std::atomic<int> started{0};
  std::atomic<int> writers_done{0};
  std::atomic<int> snapshots{0};
  std::atomic<int> resets{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t)
    threads.emplace_back([&, t] {
      arrive_and_wait(started, writers + 2);
      for (int i = 0; i < per_writer; ++i) {
        smartcache::RequestRecord r;
        r.strategy = static_cast<Strategy>((i + t) % 4);
        r.vix = static_cast<smartcache::VixStatus>(i % 3);
        r.zone = static_cast<smartcache::Zone>(i % 5);
        r.lookup = static_cast<smartcache::Lookup>(i % 5);
        if (i % 2 == 0) r.latency_ms = 0.01 * (1 + i % 97);
        m.record_request(r);
        if (i % 4 == 0) m.record_latency(0.5);
        if (i % 8 == 0) m.record_invalidation({i % 16 == 0, 3, 7, 2, 50.0});
        sampled.record_latency(0.2);
      }
      writers_done.fetch_add(1);
    });
  threads.emplace_back([&] {  // reader: every snapshot checked
    arrive_and_wait(started, writers + 2);
    smartcache::MetricsSnapshot previous = m.snapshot();
    bool last = false;
    while (!last) {
      last = writers_done.load() == writers;  // one more round after the writers finish
      const smartcache::MetricsSnapshot s = m.snapshot();
      check_consistent(s);
      check_monotonic(previous, s);
      previous = s;
      const std::string text = m.to_prometheus();
      const std::uint64_t total = exposed(text, "smartcache_requests_total");
      std::uint64_t by_strategy = 0;
      for (const char* name : {"bypass", "compute", "serve_stale", "serve_fresh"})
        by_strategy += exposed(text, std::string("smartcache_strategy_requests_total{strategy=\"") + name + "\"}");
      REQUIRE(by_strategy + exposed(text, "smartcache_request_duration_seconds_count{strategy=\"unspecified\"}") ==
              total);
      REQUIRE(total >= at(s, Counter::total_requests));
      check_stats(m.get_stats());
      REQUIRE(sampled.snapshot().counter(Counter::total_requests) <= std::uint64_t{writers} * per_writer);
      snapshots.fetch_add(1);
    }
  });
  threads.emplace_back([&] {  // resetter: random categories, never the Prometheus series
    arrive_and_wait(started, writers + 2);
    std::mt19937 rng(7);
    constexpr smartcache::Category categories[] = {
        smartcache::Category::vix,      smartcache::Category::golden_hour, smartcache::Category::swr,
        smartcache::Category::tagmanager, smartcache::Category::strategy,  smartcache::Category::performance,
        smartcache::Category::cache,    smartcache::Category::all};
    while (writers_done.load() < writers) {
      m.reset_category(categories[rng() % 8]);
      sampled.reset_category(categories[rng() % 8]);
      resets.fetch_add(1);
    }
  });
  for (auto& th : threads) th.join();
  CHECK(snapshots.load() >= 1);
  CHECK(resets.load() >= 0);

  const auto s = m.snapshot();
  constexpr std::uint64_t requests = std::uint64_t{writers} * per_writer;
  constexpr std::uint64_t latencies = std::uint64_t{writers} * (per_writer / 4);
  constexpr std::uint64_t invalidations = std::uint64_t{writers} * (per_writer / 8);
  CHECK(at(s, Counter::total_requests) == requests + latencies);
  CHECK(strategy_sum(s) == requests);
  for (int k = 0; k < 4; ++k) CHECK(s.latency_series[static_cast<std::size_t>(k)].count == requests / 8);
  CHECK(s.latency_series[4].count == latencies);
  CHECK(at(s, Counter::cache_hit_fresh) == requests / 5);
  CHECK(at(s, Counter::surgical_invalidation) + at(s, Counter::full_invalidation) == invalidations);
  CHECK(at(s, Counter::cache_keys_deleted_actual) == 7 * invalidations);
  CHECK(s.cpu_saved_count == invalidations);
  CHECK(s.cpu_saved_sum_pct == 50.0 * static_cast<double>(invalidations));
  CHECK(sampled.snapshot().counter(Counter::total_requests) == requests);

  // After a reset of everything the window is empty and the lifetime intact.
  m.reset();
  const auto window = m.get_stats();
  CHECK(window.total_requests == 0);
  CHECK(window.latency_samples == 0);
  CHECK(window.p99_compute_ms == 0);
  CHECK(m.snapshot().counters == s.counters);
}

TEST_CASE("a thread's recordings fold with the others' in one window", "[metrics][stripes]") {
  smartcache::MetricsOptions o;
  o.stripes = 4;
  smartcache::CacheMetrics m(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&m, t] { m.record_latency(1.0 + t); });  // 1, 2, 3 ms
  for (auto& th : threads) th.join();
  m.record_latency(4.0);
  const auto s = m.get_stats();
  CHECK(s.total_requests == 4);
  CHECK(s.latency_samples == 4);
  CHECK(s.min_latency_ms == 1.0);
  CHECK(s.max_latency_ms == 4.0);
  CHECK(s.avg_latency_ms == 2.5);
  m.reset_category(smartcache::Category::performance);
  m.record_latency(9.0);
  const auto after = m.get_stats();
  CHECK(after.min_latency_ms == 9.0);
  CHECK(after.max_latency_ms == 9.0);
  CHECK(after.latency_samples == 1);
  CHECK(m.snapshot().latency_count == 5);
}

TEST_CASE("a thread that alternates between instances, or outlives one, records into the right one",
          "[metrics][stripes]") {
  // Each thread remembers the last instance it recorded into and that
  // instance's stripe; switching instances, or a new instance where a
  // destroyed one was, must never record into the wrong (or a freed) stripe.
  smartcache::CacheMetrics a;
  smartcache::CacheMetrics b;
  for (int i = 0; i < 100; ++i) {
    a.increment(smartcache::Counter::cache_miss);
    b.increment(smartcache::Counter::cache_miss, 2);
  }
  CHECK(a.get_stats().cache_miss == 100);
  CHECK(b.get_stats().cache_miss == 200);
  for (int round = 0; round < 20; ++round) {
    auto m = std::make_unique<smartcache::CacheMetrics>();  // often at the address of the last one
    m->increment(smartcache::Counter::cache_evictions, 3);
    CHECK(m->get_stats().cache_evictions == 3);
  }
  a.increment(smartcache::Counter::cache_miss);
  CHECK(a.get_stats().cache_miss == 101);
  CHECK(b.get_stats().cache_miss == 200);
}
