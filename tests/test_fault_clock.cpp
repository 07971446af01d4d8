// smartcache tests - fault matrix: latency clocks that throw or run backwards,
// wall clocks that jump or throw, all under concurrent load.
// SPDX-License-Identifier: MIT
#include <atomic>
#include <chrono>
#include <cmath>
#include <string>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/exposition_checker.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

namespace {

using Cache = smartcache::SmartCache<smartcache::MemoryStore<int>>;
constexpr int threads = 4;
constexpr int per_thread = 2000;

// Requests from `threads` threads over 50 keys, kickoffs in every zone; checks
// each answer and returns what was seen.
void load(Cache& cache, Answered& seen, const std::function<smartcache::WallTime()>& now) {
  run_threads(threads, [&](int t) {
    for (int i = 0; i < per_thread; ++i) {
      const int k = (i * 11 + t) % 50;
      smartcache::RequestContext ctx;
      ctx.tags = {"match:" + std::to_string(k % 5)};
      ctx.kickoff = now() + std::chrono::minutes(k * 15 - 200);
      seen.made.fetch_add(1);
      try {
        auto r = cache.get_or_compute(std::to_string(k), [k] {
          if (coin(0.01)) throw ComputeError{k};
          return k;
        }, ctx);
        seen.values.fetch_add(1);
        if (r.value != k) seen.wrong_key.fetch_add(1);
        if (r.age < 0ms) seen.foreign.fetch_add(1);
      } catch (const ComputeError&) {  // fields not read: see fault_injection.hpp
        seen.compute_errors.fetch_add(1);
      } catch (...) {
        seen.foreign.fetch_add(1);
      }
    }
  });
}

void check_answered(const Answered& seen, const smartcache::Stats& s) {
  CHECK(seen.made == static_cast<std::uint64_t>(threads * per_thread));
  CHECK(seen.values + seen.compute_errors == seen.made);
  CHECK(seen.foreign == 0);
  CHECK(seen.wrong_key == 0);
  CHECK(s.total_requests == seen.made);
  CHECK(strategy_sum(s) == s.total_requests);
  s.for_each([](std::string_view name, double v) {
    INFO(name);
    CHECK(std::isfinite(v));
  });
}

}  // namespace

TEST_CASE("a latency clock that throws or runs backwards at random: served, counted, never observed",
          "[fault][clock]") {
  LogCapture quiet;
  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  smartcache::Config cfg;
  cfg.wall_clock = wall.fn();
  cfg.executor = inline_executor();
  auto ticks = std::make_shared<std::atomic<std::int64_t>>(1'000'000'000);
  auto faults = std::make_shared<std::atomic<std::uint64_t>>(0);
  cfg.latency_clock = [ticks, faults] {
    if (coin(0.1)) {
      faults->fetch_add(1);
      throw std::runtime_error("latency clock failure");
    }
    // Mostly forward by 50 us; one read in ten jumps back 1 ms.
    const std::int64_t step = coin(0.1) ? -1'000'000 : 50'000;
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ticks->fetch_add(step)));
  };
  Cache cache(cfg, metrics);
  Answered seen;
  load(cache, seen, wall.fn());

  const auto s = metrics.get_stats();
  check_answered(seen, s);
  CHECK(faults->load() > 0);
  CHECK(s.latency_unmeasured > 0);
  CHECK(s.latency_samples > 0);
  CHECK(s.latency_samples + s.latency_unmeasured <= s.total_requests);
  CHECK(s.latency_rejected == 0);  // a backwards clock is unmeasured, never a negative sample
  CHECK(s.min_latency_ms >= 0);
  CHECK(check_exposition(metrics.to_prometheus()) == std::nullopt);
}

TEST_CASE("a wall clock that jumps hours back and forth: served, zoned once per request, ages never negative",
          "[fault][clock]") {
  LogCapture quiet;
  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  smartcache::Config cfg;
  auto jumps = std::make_shared<std::atomic<std::int64_t>>(0);
  const auto base = wall.fn();
  cfg.wall_clock = [base, jumps] {
    // A random walk of whole hours around the base time (NTP steps, VM resumes).
    if (coin(0.05)) jumps->fetch_add(coin(0.5) ? 3 : -3);
    return base() + std::chrono::hours(jumps->load());
  };
  cfg.executor = inline_executor();
  Cache cache(cfg, metrics);
  Answered seen;
  load(cache, seen, base);

  const auto s = metrics.get_stats();
  check_answered(seen, s);
  CHECK(s.golden_hour_total == s.total_requests);  // every request zoned exactly once
  CHECK(s.vix_normal == s.total_requests);
  CHECK(s.cache_hit_fresh + s.cache_hit_stale + s.cache_miss == s.total_requests);
}

TEST_CASE("a wall clock that throws at random: served by computing, never cached on a failed read",
          "[fault][clock]") {
  LogCapture quiet;
  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  smartcache::Config cfg;
  auto failures = std::make_shared<std::atomic<std::uint64_t>>(0);
  const auto base = wall.fn();
  cfg.wall_clock = [base, failures] {
    if (coin(0.1)) {
      failures->fetch_add(1);
      throw std::runtime_error("wall clock failure");
    }
    return base();
  };
  cfg.executor = inline_executor();
  Cache cache(cfg, metrics);
  Answered seen;
  load(cache, seen, base);

  const auto s = metrics.get_stats();
  check_answered(seen, s);
  CHECK(failures->load() > 0);
  // A request whose clock read failed is computed without a zone or a lookup.
  CHECK(s.golden_hour_total < s.total_requests);
  CHECK(s.total_requests - s.golden_hour_total <= failures->load());
  CHECK(s.cache_hit_fresh + s.cache_hit_stale + s.cache_miss == s.golden_hour_total);
}
